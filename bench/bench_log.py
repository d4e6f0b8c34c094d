"""Logging files: one large file, the same file again, the same content under another path, and a
folder of thousands of small files, each against the physical reference measured in this run.

    .venv/bin/python bench/bench_log.py                    # 1 GiB file, 5,000 x 4 KiB folder
    .venv/bin/python bench/bench_log.py --size-mib 64 --files 500 --repeat 3   # quick

Figures (medians of --repeat runs; the big file is random bytes already in the page cache):
  log 1 GiB            Artifact + add_file + run.log_artifact into a fresh registry, blob fsync off
                       (the default), as a ratio to shutil.copyfile of the same file.   target <= 1.3x
  log 1 GiB, fsync on  the same with NB_REGISTRY_FSYNC_BLOBS=1, as a ratio to copyfile + fsync.
  log again            the unchanged file logged again: new bytes stored (must be 0) and the
                       time as a share of the first log.                                target <= 5 %
  log a copy           the same content at another path (new inode, new mtime): 0 new data bytes.
  log folder           N small files: ratio to shutil.copytree, and the threads the log used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys

from common import (Scratch, Table, Tally, ThreadSampler, cpu_seconds, header, median, parser, read_through, rmtree,
                    settle, step, time_once, tree_bytes, unlink, write_random)

import nb_registry as nbr
from blake3 import blake3

PROJECT = "bench"
FSYNC_ENV = "NB_REGISTRY_FSYNC_BLOBS"


# -- references ------------------------------------------------------------------------------
def ref_copyfile(src: str, dst: str, fsync: bool = False) -> None:
    shutil.copyfile(src, dst)
    if fsync:
        with open(dst, "rb+") as f:
            os.fsync(f.fileno())


def ref_sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest() if hasattr(hashlib, "file_digest") else _chunked(f)


def _chunked(f) -> str:  # Python < 3.11
    h = hashlib.sha256()
    while chunk := f.read(8 << 20):
        h.update(chunk)
    return h.hexdigest()


def ref_copy_while_hashing(src: str, dst: str, threads: int) -> str:
    """copyfile to ``dst`` while another thread BLAKE3-hashes ``src`` from a memory map: the one-pass
    shape of a log (what BlobStore._copy_hashing does, with ``threads`` hashing threads)."""
    import threading

    out: list[str] = []
    t = threading.Thread(target=lambda: out.append(ref_blake3(src, threads)))
    t.start()
    shutil.copyfile(src, dst)
    t.join()
    return out[0]


def ref_blake3(path: str, threads: int) -> str:
    h = blake3(max_threads=threads)
    h.update_mmap(path)
    return h.hexdigest()


# -- the registry, through the public API ----------------------------------------------------
def open_run(root: str, fsync: bool) -> "nbr.Run":
    """A run on a fresh registry; blob fsync set through the documented environment variable."""
    if fsync:
        os.environ[FSYNC_ENV] = "1"
    else:
        os.environ.pop(FSYNC_ENV, None)
    try:
        run = nbr.init(root=root, project=PROJECT, job_type="bench")
    finally:
        os.environ.pop(FSYNC_ENV, None)
    assert nbr.open_registry(root).blobs.fsync is fsync, "blob fsync setting did not take effect"
    return run


def log_file(run: "nbr.Run", path: str, name: str = "big", entry: str | None = None) -> "nbr.Artifact":
    art = nbr.Artifact(name, type="model")
    art.add_file(path, name=entry)
    return run.log_artifact(art, aliases=["bench"])


def log_dir(run: "nbr.Run", path: str, name: str = "folder") -> "nbr.Artifact":
    art = nbr.Artifact(name, type="dataset")
    art.add_dir(path)
    return run.log_artifact(art)


def profile_targets() -> list:
    """Functions whose time (summed over threads) --profile reports for a log."""
    from nb_registry import artifacts as R, runs
    from nb_registry.store import blobs as B, hashing as H, shards as M

    return [(R.Artifacts, "log"), (R.Artifacts, "_store_entries"), (B.BlobStore, "put_file"),
            (B.BlobStore, "_copy_hashing"), (B.BlobStore, "_upload"), (B, "hash_file"), (B.shutil, "copyfile"),
            (B.BlobStore, "_commit_local"), (B.BlobStore, "exists"), (B.BlobStore, "put_bytes"),
            (B.os, "replace"), (B.os, "chmod"), (H.StatCache, "get"), (H.StatCache, "put"),
            (M.Shards, "transact"), (M.Shards, "_commit"), (B.os, "fsync"),
            (runs.Run, "_save")]


def blob_bytes(root: str) -> int:
    return tree_bytes(os.path.join(root, "blobs"))


# -- the big file ----------------------------------------------------------------------------
def bench_big(sc: Scratch, args, table: Table) -> None:
    size = args.size_mib << 20
    n = args.repeat
    src = sc.path("big.bin")
    with step(f"writing {args.size_mib} MiB of random bytes"):
        write_random(src, size)
        settle()
        read_through(src)

    dst = sc.path("copy.bin")
    times: dict[str, list[float]] = {k: [] for k in
                                     ("copy", "copy_fsync", "sha256", "b3_1", "b3_auto", "par_auto", "par_1", "log", "log_fsync")}
    cpu: dict[str, list[float]] = {k: [] for k in times}

    def timed_cpu(key: str, fn) -> tuple[float, object]:
        c = cpu_seconds()
        t, out = time_once(fn)
        cpu[key].append(cpu_seconds() - c)
        times[key].append(t)
        return t, out

    roots: list[str] = []
    with step(f"references and first logs, interleaved, {n} rounds"):
        for i in range(n):
            for key, fn in (("copy", lambda: ref_copyfile(src, dst)),
                            ("copy_fsync", lambda: ref_copyfile(src, dst, fsync=True)),
                            ("par_auto", lambda: ref_copy_while_hashing(src, dst, blake3.AUTO)),
                            ("par_1", lambda: ref_copy_while_hashing(src, dst, 1))):
                unlink(dst)
                settle()
                timed_cpu(key, fn)
            unlink(dst)
            settle()
            timed_cpu("sha256", lambda: ref_sha256(src))
            timed_cpu("b3_1", lambda: ref_blake3(src, 1))
            timed_cpu("b3_auto", lambda: ref_blake3(src, blake3.AUTO))
            for key, fsync in (("log", False), ("log_fsync", True)):
                root = sc.fresh("reg-big")
                run = open_run(root, fsync)
                settle()
                t, logged = timed_cpu(key, lambda: log_file(run, src))
                run.finish()
                assert logged.new_bytes == size, (logged.new_bytes, size)
                if key == "log" and i == n - 1:
                    roots.append(root)  # kept for the re-log figures
                else:
                    rmtree(root)
            print(f"    round {i + 1}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in times.items()), flush=True)
    unlink(dst)
    med = {k: median(v) for k, v in times.items()}
    mib = args.size_mib

    def per_mib(s: float) -> str:
        return f"{s * 1e3 / mib:.2f} ms/MiB"

    table.add(f"copyfile {mib} MiB (reference)", med["copy"])
    table.note("  = ", per_mib(med["copy"]))
    table.add(f"copyfile + fsync {mib} MiB (reference)", med["copy_fsync"], "copyfile", med["copy"])
    table.add("sha256 of the file (reference)", med["sha256"], "copyfile", med["copy"])
    table.add("BLAKE3 update_mmap, 1 thread (reference)", med["b3_1"], "copyfile", med["copy"])
    table.add("BLAKE3 update_mmap, all cores (reference)", med["b3_auto"], "copyfile", med["copy"])
    table.add("copyfile while BLAKE3 all cores hashes (reference)", med["par_auto"], "copyfile", med["copy"])
    table.add("copyfile while BLAKE3 1 thread hashes (reference)", med["par_1"], "copyfile", med["copy"])
    table.add(f"log {mib} MiB, blob fsync off (default)", med["log"], "copyfile", med["copy"],
              target="<= 1.3x", ok=med["log"] / med["copy"] <= 1.3)
    paired = sorted(a / b for a, b in zip(times["log"], times["copy"]))
    table.note("  per-round ratios log/copyfile", ", ".join(f"{r:.2f}" for r in paired) +
               f" (median {median(paired):.2f}); best log / best copyfile {min(times['log']) / min(times['copy']):.2f}")
    mc = {k: median(v) for k, v in cpu.items()}
    table.note("  CPU seconds (all threads)", f"copyfile {mc['copy']:.2f}, BLAKE3 1 thread {mc['b3_1']:.2f}, "
                                              f"BLAKE3 all cores {mc['b3_auto']:.2f}, log {mc['log']:.2f}")
    table.add(f"log {mib} MiB, blob fsync on (target applied to copyfile+fsync)", med["log_fsync"], "copyfile+fsync", med["copy_fsync"],
              target="<= 1.3x", ok=med["log_fsync"] / med["copy_fsync"] <= 1.3)
    table.add("  same, vs plain copyfile", med["log_fsync"], "copyfile", med["copy"])
    if args.profile:
        root = sc.fresh("reg-big-profile")
        run = open_run(root, False)
        settle()
        with Tally(profile_targets()) as ta:
            t, _ = time_once(lambda: log_file(run, src))
        run.finish()
        ta.print(f"log {mib} MiB into a fresh registry", t)
        rmtree(root)

    # -- the same unchanged file again -------------------------------------------------------
    root = roots[0]
    run = open_run(root, False)
    first = nbr.open_registry(root).artifact(f"{PROJECT}/big:latest")
    before = blob_bytes(root)
    relog: list[float] = []
    with step(f"logging the unchanged file again, {max(n, 5)} times"):
        for _ in range(max(n, 5)):
            settle()
            t, logged = time_once(lambda: log_file(run, src))
            assert logged.new_bytes == 0, logged.new_bytes
            assert logged.id == first.id and logged.deduplicated, (logged.id, first.id)
            relog.append(t)
    grown = blob_bytes(root) - before
    assert grown == 0, f"the blob store grew by {grown} bytes on an unchanged re-log"
    t = median(relog)
    table.add("log the same file again: new bytes stored", f"{logged.new_bytes} B (blob store +{grown} B)",
              target="0", ok=logged.new_bytes == 0 and grown == 0)
    table.add("log the same file again: time", t, "first log", med["log"], target="<= 5 %",
              ok=t / med["log"] <= 0.05, unit="%")

    # -- the same content under another path ---------------------------------------------------
    copies: list[float] = []
    new_data = []
    grown_total = 0
    with step(f"logging a copy of the file (another path, same content), {n} times"):
        for i in range(n):
            other = sc.path(f"other-{i}.bin")
            shutil.copyfile(src, other)
            settle()
            read_through(other)
            before = blob_bytes(root)
            t, logged = time_once(lambda: log_file(run, other))
            grown_total = max(grown_total, blob_bytes(root) - before)
            new_data.append(logged.new_bytes)
            copies.append(t)
            unlink(other)
    run.finish()
    t = median(copies)
    ok = all(b == 0 for b in new_data)
    table.add("log a copy at another path: new data bytes", f"{max(new_data)} B (blob store +{grown_total} B: the manifest)",
              target="0", ok=ok)
    table.add("log a copy at another path: time", t, "copyfile", med["copy"])
    table.add("  same, vs BLAKE3 all cores (the least it can cost)", t, "BLAKE3 all cores", med["b3_auto"])
    unlink(src)
    rmtree(root)


# -- the folder of small files -----------------------------------------------------------------
def bench_dir(sc: Scratch, args, table: Table) -> None:
    n = args.repeat
    folder = sc.path("folder")
    with step(f"writing {args.files} files of {args.file_kib} KiB"):
        per = max(1, int(args.files ** 0.5))
        for i in range(args.files):
            sub = os.path.join(folder, f"d{i // per:03d}")
            if i % per == 0:
                os.makedirs(sub, exist_ok=True)
            with open(os.path.join(sub, f"f{i:05d}.bin"), "wb") as f:
                f.write(os.urandom(args.file_kib << 10))
        settle()
        for dp, _, fs in os.walk(folder):
            for f in fs:
                read_through(os.path.join(dp, f))

    def hash_all_one_thread() -> None:
        for dp, _, fs in os.walk(folder):
            for f in fs:
                with open(os.path.join(dp, f), "rb") as fh:
                    blake3(fh.read()).digest()

    times: dict[str, list[float]] = {"copytree": [], "hash1": [], "log": []}
    threads, cpu = [], []
    root = ""
    with step(f"copytree and first logs, interleaved, {n} rounds"):
        for i in range(n):
            dst = sc.fresh("tree")
            settle()
            times["copytree"].append(time_once(lambda: shutil.copytree(folder, dst))[0])
            rmtree(dst)
            times["hash1"].append(time_once(hash_all_one_thread)[0])
            if root:
                rmtree(root)
            root = sc.fresh("reg-dir")
            run = open_run(root, False)
            settle()
            c0 = cpu_seconds()
            with ThreadSampler() as ts:
                t, logged = time_once(lambda: log_dir(run, folder))
            cpu.append(cpu_seconds() - c0)
            threads.append(ts.extra)
            times["log"].append(t)
            run.finish()
            assert logged.manifest and len(logged.manifest) == args.files
            print(f"    round {i + 1}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in times.items())
                  + f", threads +{threads[-1]}, cpu {cpu[-1]:.2f} s", flush=True)
    med = {k: median(v) for k, v in times.items()}
    label = f"{args.files} x {args.file_kib} KiB"
    table.add(f"copytree {label} (reference)", med["copytree"])
    table.add("read + BLAKE3 each file, 1 thread (reference)", med["hash1"], "copytree", med["copytree"])
    table.add(f"log folder {label}", med["log"], "copytree", med["copytree"])
    if args.profile:
        root2 = sc.fresh("reg-dir-profile")
        run = open_run(root2, False)
        settle()
        with Tally(profile_targets()) as ta:
            t, _ = time_once(lambda: log_dir(run, folder))
        run.finish()
        ta.print(f"log folder {label} into a fresh registry", t, base="BlobStore.put_file")
        rmtree(root2)
    table.note("  threads started by the log (peak)", f"{max(threads)} (cpu {median(cpu):.2f} s for "
               f"{med['log']:.2f} s wall, {median(cpu) / med['log']:.2f} cores busy; {os.cpu_count()} cores)")

    run = open_run(root, False)
    relog = []
    with step(f"logging the unchanged folder again, {n} times"):
        for _ in range(n):
            settle()
            t, logged = time_once(lambda: log_dir(run, folder))
            assert logged.new_bytes == 0 and logged.deduplicated
            relog.append(t)
    run.finish()
    table.add("log the unchanged folder again", median(relog), "first log", med["log"], unit="%")
    rmtree(root)
    rmtree(folder)


def main() -> None:
    p = parser(__doc__.split("\n\n")[0], repeat=5)
    p.add_argument("--size-mib", type=int, default=1024, help="size of the large file (default %(default)s)")
    p.add_argument("--files", type=int, default=5000, help="files in the folder (default %(default)s)")
    p.add_argument("--file-kib", type=int, default=4, help="size of each small file (default %(default)s)")
    p.add_argument("--skip-big", action="store_true")
    p.add_argument("--skip-dir", action="store_true")
    args = p.parse_args()
    header("bench_log: logging files, as ratios to a plain copy measured in the same run", args)
    table = Table()
    with Scratch(args.dir, "log", args.keep) as sc:
        if not args.skip_big:
            bench_big(sc, args, table)
        if not args.skip_dir:
            bench_dir(sc, args, table)
    table.print()
    sys.exit(0)


if __name__ == "__main__":
    main()
