"""Speed a notebook user feels: ``%use`` of a large model already in the store, ``%%log_artifact`` of small objects.

    .venv/bin/python bench/bench_notebook.py                     # 1 GiB model (about 1 min)
    .venv/bin/python bench/bench_notebook.py --size-mib 64       # quick
    .venv/bin/python bench/bench_notebook.py --profile           # also print where the time goes

Everything runs in this process, in a real IPython shell (``InteractiveShell.instance()``, whose display hook
computes every mime type of a cell's result, as a kernel does) after ``%load_ext nb_registry``, with
``NB_REGISTRY_ROOT`` in a scratch folder under ``--dir`` and ``IPYTHONDIR`` beside it. Cells run through
``shell.run_cell(source, store_history=True)``, as a kernel runs them, with their output captured. The times are
those of whole cells.

Figures (medians):
  copyfile (reference)        ``shutil.copyfile`` of the same ``--size-mib`` file (page cache warm), ``--repeat``.
  log the model               ``%%log_artifact big --files big.bin`` once (information).
  %use --path, first          ``p = %use big:latest --path`` in a fresh state: the kernel's implicit run finished
                              (so a new run records the input), the registry reopened, and the downloaded folder
                              deleted (so the link is made again).                          target <= 50 ms
  %use --path, first, local   the same, with the downloaded folder kept from before (a notebook reopened).
  %use --path, warm           the same cell again in the same run.                          target <= 50 ms
  %use (the artifact)         ``a = %use big:latest``, first (fresh state as above) and warm. target <= 50 ms
  stat cache lost             ``%use --path`` first, after deleting the stat cache (``<cache>/stat.sqlite``): the
                              blob's content is verified again, a full BLAKE3 pass (information).
  no copy                     the downloaded file is the blob (same inode and device), and the disk usage of the
                              scratch folder, counting each inode once, did not grow while ``%use`` ran.
  links                       the figures above are those of a hard link, the default for a user who cannot write
                              read-only files; they are measured with NB_REGISTRY_LINK=hardlink so that they hold
                              when the bench runs as root. Root's default (a reflink, else a copy, so that editing
                              a download cannot change the stored version) is timed once more (information).
  %%log_artifact --var        a dict of 100 floats and a 1000-element numpy array, each with new content every
                              time and with identical content (deduplicated): ``--small-repeat`` (20) pairs of
                              the plain cell body and the same cell under ``%%log_artifact NAME --var obj``,
                              interleaved; "added" is the median of the per-pair differences. target <= 20 ms
                              Reference: a durable 4 KiB write (write, fsync, rename, fsync of the folder), the
                              least a crash-safe metadata commit costs.
A missed target is always followed by a profile of that cell (cProfile and a tally of the store's calls).
"""

from __future__ import annotations

import atexit
import contextlib
import cProfile
import gc
import io
import os
import shutil
import sys
import time
from typing import Any, Callable

from common import (durable_write, Scratch, Table, Tally, fmt_s, header, median, parser, read_through, settle, show_cprofile, step,
                    write_random)

TARGET_USE = 0.050
TARGET_LOG = 0.020
MIB = 1 << 20


# -- the shell ---------------------------------------------------------------------------------
def start_shell(root: str, ipython_dir: str) -> Any:
    os.environ["NB_REGISTRY_ROOT"] = root
    os.environ.pop("NB_REGISTRY_CACHE", None)  # the default: <root>/cache
    os.environ.pop("NB_REGISTRY_PROJECT", None)
    os.environ["IPYTHONDIR"] = ipython_dir
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    cell(ip, "%load_ext nb_registry")
    return ip


def cell(ip: Any, source: str) -> Any:
    """Run a cell as a kernel does (history, display hook), output captured; fail loudly if it fails."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        result = ip.run_cell(source, store_history=True)
    if not result.success:
        raise RuntimeError(f"cell failed: {source!r}\n{out.getvalue()}\n{result.error_in_exec or result.error_before_exec!r}")
    return result


def time_cell(ip: Any, source: str, before: Callable[[], Any] | None = None) -> float:
    if before is not None:
        before()
    gc.collect()
    t = time.perf_counter()
    cell(ip, source)
    return time.perf_counter() - t


def fresh_kernel_state(download: str | None, stat_cache: str | None = None) -> None:
    """What a new kernel starts from: no run yet (the next magic starts one and records its input again), the
    registry not open (a new Registry, stat-cache connection and metadata reads); ``download`` removed if given;
    with ``stat_cache``, that SQLite file removed too (the blob is then re-hashed before it is handed out)."""
    from nb_registry import api, runs

    run = runs.current()
    if run is not None:
        run.finish()
    for reg in api._registries.values():
        reg.store.stat_cache.close()
    api._registries.clear()
    if download:
        shutil.rmtree(download, ignore_errors=True)
    if stat_cache:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(stat_cache + suffix)


# -- references --------------------------------------------------------------------------------


def disk_usage(*paths: str) -> int:
    """Bytes allocated to the files below ``paths``, each inode counted once (hard links are not copies)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _, files in (w for p in paths for w in os.walk(p)):
        for f in files:
            try:
                st = os.lstat(os.path.join(folder, f))
            except FileNotFoundError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


# -- profiles ----------------------------------------------------------------------------------
def profile_cells(ip: Any, title: str, source: str, n: int, before: Callable[[], Any] | None = None) -> None:
    """cProfile of ``n`` runs of the cell (each after ``before``), then a tally of the store's calls."""
    from nb_registry import artifact, artifacts, magics, runs, serialize, transfer
    from nb_registry.store import blobs, hashing, shards

    prof = cProfile.Profile()
    for _ in range(n):
        if before is not None:
            before()
        prof.enable()
        cell(ip, source)
        prof.disable()
    show_cprofile(prof, f"{title}, {n} cells", limit=22)
    targets = [(artifacts.Artifacts, "log"), (artifacts.Artifacts, "artifact"), (runs.Run, "_save"),
               (runs.Run, "use_artifact"), (runs.Run, "log_artifact"), (transfer, "materialise"),
               (transfer, "download"), (blobs.BlobStore, "verified_local"), (hashing.StatCache, "get"),
               (hashing.StatCache, "put"), (os, "fsync"),
               (magics.RegistryMagics, "run"), (magics.RegistryMagics, "_build"), (serialize, "dump"),
               (serialize, "load_objects"), (artifact.Artifact, "add_file"), (artifact.Artifact, "_repr_html_"),
               (blobs.BlobStore, "put_file"), (shards.Shards, "_commit"), (shards.Shards, "read")]
    targets = [(o, a) for o, a in targets if hasattr(o, a)]
    wall = 0.0
    with Tally(targets) as tally:
        for _ in range(n):
            if before is not None:
                before()
            t = time.perf_counter()
            cell(ip, source)
            wall += time.perf_counter() - t
    tally.print(f"{title}, {n} cells (the whole cells: wall)", wall)


# -- part 1: %use of a large model -----------------------------------------------------------------
def bench_use(ip: Any, args: Any, scratch: Scratch, table: Table, misses: list[tuple[str, str, Callable[[], Any] | None]]) -> None:
    import nb_registry as nbr

    size = args.size_mib * MIB
    big = os.path.join(os.getcwd(), "big.bin")
    with step(f"write {args.size_mib} MiB of random bytes, read it once into the page cache"):
        write_random(big, size)
        read_through(big)
        settle()

    copies = []
    for _ in range(args.repeat):
        dst = scratch.fresh("copy")
        gc.collect()
        t = time.perf_counter()
        shutil.copyfile(big, dst)
        copies.append(time.perf_counter() - t)
        os.unlink(dst)
        settle()
    ref = median(copies)
    table.add(f"copyfile {args.size_mib} MiB (reference)", ref)

    with step("%%log_artifact big --files big.bin"):
        t = time.perf_counter()
        cell(ip, "%%log_artifact big --files big.bin\npass")
        log_s = time.perf_counter() - t
    table.add("log the model once (information)", log_s, "copyfile", ref)
    settle()

    api = nbr.Api()
    art = api.artifact("big:latest")
    digest = art.manifest["big.bin"]["digest"]
    blob = api.registry.store.blobs.path(digest)
    data = [os.path.dirname(os.path.dirname(blob)), os.path.join(api.registry.store.cache_dir, "artifacts")]
    usage_before, data_before = disk_usage(scratch.root), disk_usage(*data)

    # the very first %use of the process (lazy imports included), information only
    first_ever = time_cell(ip, "p = %use big:latest --path")
    download = ip.user_ns["p"]
    table.add("%use --path, first in the process (information)", first_ever, "copyfile", ref, unit="%")

    with step(f"time %use: {args.repeat} x first (fresh run and registry, no local link), first with the link "
              "kept, and warm"):
        first = [time_cell(ip, "p = %use big:latest --path", lambda: fresh_kernel_state(download)) for _ in range(args.repeat)]
        first_local = [time_cell(ip, "p = %use big:latest --path", lambda: fresh_kernel_state(None)) for _ in range(args.repeat)]
        warm = [time_cell(ip, "p = %use big:latest --path") for _ in range(args.repeat)]
        art_first = [time_cell(ip, "a = %use big:latest", lambda: fresh_kernel_state(None)) for _ in range(args.repeat)]
        art_warm = [time_cell(ip, "a = %use big:latest") for _ in range(args.repeat)]
        stat_db = api.registry.store.stat_cache.path
        rehash = [time_cell(ip, "p = %use big:latest --path", lambda: fresh_kernel_state(download, stat_db))
                  for _ in range(max(1, args.repeat // 2))]
    plain = median([time_cell(ip, "q = 'x'") for _ in range(max(5, args.repeat))])

    for label, xs, before in (
        ("%use big:latest --path, first (new run, no local link)", first, lambda: fresh_kernel_state(download)),
        ("%use big:latest --path, first (new run, link kept)", first_local, lambda: fresh_kernel_state(None)),
        ("%use big:latest --path, warm", warm, None),
        ("%use big:latest (artifact), first (new run)", art_first, lambda: fresh_kernel_state(None)),
        ("%use big:latest (artifact), warm", art_warm, None),
    ):
        m = median(xs)
        ok = m <= TARGET_USE
        table.add(label, m, "copyfile", ref, target="<= 50 ms", ok=ok, unit="%")
        table.note("  each run", ", ".join(fmt_s(x) for x in xs))
        src = "p = %use big:latest --path" if "--path" in label else "a = %use big:latest"
        if not ok:
            misses.append((label, src, before))
    table.add("  reference: a plain assignment cell", plain)
    table.add("%use --path, first, stat cache lost: blob re-hashed (information)", median(rehash), "copyfile", ref)

    # no copy: the downloaded file is the blob itself, and nothing was allocated
    path = ip.user_ns["p"]
    got, stored = os.stat(os.path.join(path, "big.bin")), os.stat(blob)
    same = (got.st_ino, got.st_dev) == (stored.st_ino, stored.st_dev)
    usage_after, data_after = disk_usage(scratch.root), disk_usage(*data)
    table.add("no copy: downloaded file is the blob", f"inode {got.st_ino} {'==' if same else '!='} blob inode "
              f"{stored.st_ino}; {got.st_nlink} links; mode {oct(got.st_mode & 0o777)}", target="same inode", ok=same)
    table.add("no copy: blobs + downloads on disk while %use ran", f"{data_after - data_before:+,d} B "
              f"({data_after / MIB:,.1f} MiB, each inode once)", target="+0 B", ok=data_after == data_before)
    table.note("  whole scratch folder", f"{usage_after - usage_before:+,d} B (run documents, stat cache, "
               "IPython history of the cells above)")
    table.add("  %use returned the artifact", f"{type(ip.user_ns['a']).__name__} {ip.user_ns['a'].id}")

    os.environ["NB_REGISTRY_LINK"] = "copy"  # what root gets by default
    try:
        as_root = [time_cell(ip, "p = %use big:latest --path", lambda: fresh_kernel_state(download))
                   for _ in range(max(1, args.repeat // 2))]
    finally:
        os.environ["NB_REGISTRY_LINK"] = "hardlink"
    table.add("%use --path, first, as root (reflink or copy; information)", median(as_root), "copyfile", ref)
    os.unlink(big)


# -- part 2: %%log_artifact of small objects ------------------------------------------------------
SMALL_CASES = [
    # (label, collection, body with new content each time, body with the same content each time)
    ("dict of 100 floats", "params",
     "obj = {f'w{i}': random.random() for i in range(100)}",
     "obj = {f'w{i}': i / 7 for i in range(100)}"),
    ("numpy array, 1000 floats", "weights",
     "obj = rng.random(1000)",
     "obj = np.linspace(0.0, 1.0, 1000)"),
]


def bench_log(ip: Any, args: Any, scratch: Scratch, table: Table, misses: list[tuple[str, str, Callable[[], Any] | None]]) -> None:
    from nb_registry import runs

    cell(ip, "import random\nimport numpy as np\nrng = np.random.default_rng(7)")
    refdir = scratch.path("ref")
    os.makedirs(refdir)
    refs = []
    for _ in range(args.small_repeat):
        gc.collect()
        t = time.perf_counter()
        durable_write(refdir)
        refs.append(time.perf_counter() - t)
    ref = median(refs)
    table.add("durable 4 KiB write (reference)", ref)

    for label, name, distinct, same in SMALL_CASES:
        for kind, body in (("new content", distinct), ("same content (dedup)", same)):
            coll = f"{name}-{'new' if body is distinct else 'same'}"
            magic = f"%%log_artifact {coll} --var obj\n{body}"
            for _ in range(2):  # warm: the collection exists; identical content is deduplicated from here on
                cell(ip, magic)
            first_version = runs.current()._reg.artifact(f"{coll}:latest", runs.current().project).version
            plain_t, magic_t, added = [], [], []
            with step(f"{label}, {kind}: {args.small_repeat} pairs (plain cell, cell under %%log_artifact)"):
                for _ in range(args.small_repeat):
                    a = time_cell(ip, body)
                    b = time_cell(ip, magic)
                    plain_t.append(a)
                    magic_t.append(b)
                    added.append(b - a)
            last = ip.user_ns["_"]
            dedup_ok = (last.deduplicated and last.version == first_version) if body is same else not last.deduplicated
            m = median(added)
            ok = m <= TARGET_LOG
            table.add(f"%%log_artifact --var: {label}, {kind}: added", m, "durable write", ref, target="<= 20 ms", ok=ok)
            table.add("  cell under the magic / plain cell", f"{fmt_s(median(magic_t))} / {fmt_s(median(plain_t))}")
            table.add("  last version logged", f"{last.id}, deduplicated={last.deduplicated}",
                      target="dedup" if body is same else "new version", ok=dedup_ok)
            if not ok:
                misses.append((f"{label}, {kind}", magic, None))


def main() -> None:
    p = parser(__doc__.splitlines()[0], repeat=5)
    p.add_argument("--size-mib", type=int, default=1024, help="size of the model file (default %(default)s)")
    p.add_argument("--small-repeat", type=int, default=20, help="pairs per small-object figure (default %(default)s)")
    args = p.parse_args()
    os.environ["NB_REGISTRY_LINK"] = "hardlink"  # see "links" above
    header("notebook magics: %use of a large model, %%log_artifact of small objects", args)
    table = Table()
    misses: list[tuple[str, str, Callable[[], Any] | None]] = []
    with Scratch(args.dir, "notebook", keep=args.keep) as scratch:
        work = scratch.path("work")
        os.makedirs(work)
        cwd = os.getcwd()
        os.chdir(work)  # not a git checkout: the implicit run's git probe is one quick failing call
        ip = None
        try:
            ip = start_shell(scratch.path("registry"), scratch.path("ipython"))
            bench_use(ip, args, scratch, table, misses)
            bench_log(ip, args, scratch, table, misses)
            table.print()
            if args.profile:
                misses = misses or [("%use --path, warm (--profile)", "p = %use big:latest --path", None),
                                    ("dict, new content (--profile)", f"%%log_artifact params-new --var obj\n{SMALL_CASES[0][2]}", None),
                                    ("dict, same content (--profile)", f"%%log_artifact params-same --var obj\n{SMALL_CASES[0][3]}", None)]
            for label, source, before in misses:
                profile_cells(ip, label, source, max(5, args.repeat), before)
        finally:
            from nb_registry import runs

            if runs.current() is not None:
                runs.current().finish()
            if ip is not None:  # close the shell's history database now, before the scratch folder goes
                atexit.unregister(ip.atexit_operations)
                ip.atexit_operations()
            os.chdir(cwd)


if __name__ == "__main__":
    sys.exit(main())
