"""Folders of many small files (issue 12): log, log again, change one file, download, verify, and the
PUT requests on S3, each against a copytree of the same folder measured in the same run.

    .venv/bin/python bench/bench_folders.py                       # 5,000 and 50,000 files of 4 KiB
    .venv/bin/python bench/bench_folders.py --files 5000 --repeat 2 --skip-s3   # quick
    .venv/bin/python bench/bench_folders.py --threshold           # the cost per file, loose vs packed, by size

Figures (dirty pages flushed with sync before each timed step; --repeat rounds, each a copytree,
every step on a fresh registry, another copytree; a step's median over the rounds is compared with the
best copytree of the run (the fastest copy the machine managed: the least flattering ratio, and the one the
verdicts use), and, beside it, the median of each round's ratio to its own two copytrees (the machine
drifts between rounds); each log goes through the public API: Artifact.add_dir + Registry.log):
  first log            into a fresh registry (fresh stat cache)                     target <= 0.5x copytree
  log again            the unchanged folder: time and bytes added to the store       target <= 0.05x, 0 bytes
  change one + log     one file rewritten: time and bytes added (file + manifest)    target <= 0.05x, <= file + 64 KiB
  download             into a fresh folder                                           target <= 1.2x copytree
  download again       the same folder again (what %use --path does the second time)
  verify               re-hash every stored file of the version                      target <= 1.0x copytree
  S3 PUTs              PUT requests of the first log of --s3-files files to moto's server    target <= 5 % of files
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

from common import Scratch, Table, header, median, parser, read_through, rmtree, settle, step, time_once, tree_bytes

import nb_registry as nbr

PROJECT = "bench"


def write_folder(folder: str, n: int, kib: int) -> None:
    per = max(1, int(n ** 0.5))
    for i in range(n):
        sub = os.path.join(folder, f"d{i // per:03d}")
        if i % per == 0:
            os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"f{i:05d}.bin"), "wb") as f:
            f.write(os.urandom(kib << 10))
    settle()
    for dp, _, fs in os.walk(folder):
        for f in fs:
            read_through(os.path.join(dp, f))


def log_dir(reg: "nbr.Registry", folder: str) -> "nbr.Artifact":
    art = nbr.Artifact("folder", type="dataset")
    art.add_dir(folder)
    return reg.log(art, project=PROJECT)


def blob_bytes(root: str) -> int:
    return tree_bytes(os.path.join(root, "blobs"))


TARGETS = {"first": 0.5, "again": 0.05, "change": 0.05, "download": 1.2, "verify": 1.0}


def copytree_once(sc: Scratch, folder: str, trash: list[str]) -> float:
    dst = sc.fresh("tree")
    settle()
    t = time_once(lambda: shutil.copytree(folder, dst))[0]
    trash.append(dst)
    return t


def empty(trash: list[str]) -> None:
    """Remove a round's folders only at its end: this filesystem is mounted with ``discard``, and the trims a removal
    sends slow every file created for seconds after it, whichever step comes next."""
    for path in trash:
        rmtree(path)
    trash.clear()
    settle()
    time.sleep(3)


def one_round(sc: Scratch, folder: str, n: int, kib: int, trash: list[str]) -> tuple[dict[str, float], dict[str, int]]:
    """Every step once, on a fresh registry: seconds per step, and bytes added by the log again and the change."""
    root = sc.fresh("reg")
    trash.append(root)
    t: dict[str, float] = {}
    grown: dict[str, int] = {}
    reg = nbr.Registry(root)
    settle()
    t["first"], logged = time_once(lambda: log_dir(reg, folder))
    assert len(logged.manifest) == n
    before = blob_bytes(root)
    settle()
    t["again"], logged = time_once(lambda: log_dir(reg, folder))
    assert logged.deduplicated and logged.new_bytes == 0
    grown["again"] = blob_bytes(root) - before
    with open(os.path.join(folder, "d000", "f00000.bin"), "wb") as f:
        f.write(os.urandom(kib << 10))
    before = blob_bytes(root)
    settle()
    t["change"], logged = time_once(lambda: log_dir(reg, folder))
    assert not logged.deduplicated and logged.new_bytes == kib << 10
    grown["change"] = blob_bytes(root) - before
    art = nbr.Registry(root).artifact(f"{PROJECT}/folder:latest")  # a fresh process's view
    art.manifest
    dst = sc.fresh("dl")
    settle()
    t["download"] = time_once(lambda: art.download(dst))[0]
    trash.append(dst)
    art.download()  # into its cache folder, as %use --path does
    settle()
    t["download again"] = time_once(lambda: art.download())[0]
    fresh = nbr.Registry(root).artifact(f"{PROJECT}/folder:latest")
    fresh.manifest
    settle()
    t["verify"] = time_once(lambda: fresh.verify())[0]
    packs = len(os.listdir(os.path.join(root, "blobs", "packs"))) // 2
    grown["files"] = sum(len(f) for _, _, f in os.walk(os.path.join(root, "blobs")))
    grown["packs"] = packs
    return t, grown


def bench_size(sc: Scratch, n: int, args, table: Table) -> None:
    """Rounds of: copytree, every step, copytree again. Each step's median over the rounds against the best
    copytree (the verdict), and the median of its ratios to the mean of its own round's two copytrees."""
    folder = sc.path(f"folder-{n}")
    label = f"{n:,} x {args.file_kib} KiB"
    with step(f"writing {label}"):
        write_folder(folder, n, args.file_kib)
    rounds = []
    with step(f"{args.repeat} rounds of copytree, the steps, copytree"):
        trash: list[str] = []
        empty(trash)
        for i in range(args.repeat):
            c1 = copytree_once(sc, folder, trash)
            t, grown = one_round(sc, folder, n, args.file_kib, trash)
            c2 = copytree_once(sc, folder, trash)
            empty(trash)
            rounds.append((c1, c2, t, grown))
            print(f"    round {i + 1}: copytree {c1:.2f} / {c2:.2f} s; " + ", ".join(
                f"{k} {v:.3f} s ({v / ((c1 + c2) / 2):.2f}x)" for k, v in t.items()), flush=True)
    refs = [(c1 + c2) / 2 for c1, c2, _, _ in rounds]
    ref = min(c for c1, c2, _, _ in rounds for c in (c1, c2))
    table.add(f"copytree {label} (reference: the best of {2 * len(rounds)})", ref)
    table.note("  copytree, every run", ", ".join(f"{c:.2f}" for c1, c2, _, _ in rounds for c in (c1, c2)) + " s")
    names = {"first": "first log", "again": "log the unchanged folder again", "change": "change one file and log",
             "download": "download into a fresh folder", "download again": "download again (%use --path)",
             "verify": "verify"}
    for key, what in names.items():
        took = median([t[key] for _, _, t, _ in rounds])
        ratio = took / ref
        paired = median([t[key] / r for (_, _, t, _), r in zip(rounds, refs)])
        target = TARGETS.get(key)
        table.add(f"{what}, {label}", took, "copytree", ref, ratio=ratio,
                  target=f"<= {target}x" if target else "", ok=None if target is None else ratio <= target)
        table.note(f"    {what}, each round against its own copytrees (median)", f"{paired:.2f}x")
    again = max(g["again"] for *_, g in rounds)
    change = median([g["change"] for *_, g in rounds])
    table.note(f"  bytes added by the log again, {label}", f"{again} (target 0)")
    table.note(f"  bytes added by the change of one file, {label}",
               f"{change / 1024:.1f} KiB: the {args.file_kib} KiB file + {change / 1024 - args.file_kib:.1f} KiB of manifest "
               "(target <= file + 64 KiB)")
    g = rounds[-1][3]
    table.note(f"  files in blobs/, {label}", f"{g['files']} ({g['packs']} packs)")
    rmtree(folder)


SERVER = """
import sys, threading
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

class Counting:
    def __init__(self, app):
        self.app, self.lock, self.counts = app, threading.Lock(), {}
    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") == "/_counts":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [repr(self.counts).encode()]
        with self.lock:
            self.counts[method] = self.counts.get(method, 0) + 1
        if method in ("PUT", "POST", "DELETE"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)

make_server("127.0.0.1", int(sys.argv[1]), Counting(DomainDispatcherApplication(create_backend_app)), threaded=True,
            request_handler=MotoRequestHandler).serve_forever()
"""


def bench_s3(sc: Scratch, args, table: Table) -> None:
    import ast
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")})
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stderr=subprocess.DEVNULL, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        import s3fs

        opts = {"client_kwargs": {"endpoint_url": endpoint}}
        s3fs.S3FileSystem(**opts).mkdir("bench")

        def counts() -> dict:
            return ast.literal_eval(urllib.request.urlopen(f"{endpoint}/_counts").read().decode())

        folder = sc.path("s3-folder")
        with step(f"writing {args.s3_files} files, logging them to S3"):
            write_folder(folder, args.s3_files, args.file_kib)
            reg = nbr.Registry("s3://bench/reg", cache_dir=sc.path("s3-cache"), **opts)
            before = counts()
            t, _ = time_once(lambda: log_dir(reg, folder))
            after = counts()
        puts = after.get("PUT", 0) - before.get("PUT", 0)
        table.add(f"S3: first log of {args.s3_files:,} x {args.file_kib} KiB", t)
        table.add("  PUT requests (blobs and metadata)", f"{puts} (loose blobs would take >= {args.s3_files})",
                  ratio=puts / args.s3_files, unit="%", target="<= 5 %", ok=puts <= 0.05 * args.s3_files)
        table.note("  all requests", ", ".join(f"{k} {after.get(k, 0) - before.get(k, 0)}" for k in sorted(after)))
        rmtree(folder)
    finally:
        server.terminate()
        server.wait()


def bench_threshold(sc: Scratch, args, table: Table) -> None:
    """The cost per file of a loose blob (put_file) and of a packed one (put_files), by file size."""
    per_mib = [0.0]
    for kib in (4096, 1024, 256, 64, 4):
        n = max(16, min(400, (64 << 10) // kib))
        folder = sc.path(f"thr-{kib}")
        os.makedirs(folder, exist_ok=True)
        paths = []
        for i in range(n):
            p = os.path.join(folder, f"f{i}")
            with open(p, "wb") as f:
                f.write(os.urandom(kib << 10))
            paths.append(p)
        settle()
        loose_root, packed_root = sc.fresh("thr-loose"), sc.fresh("thr-packed")
        loose = nbr.Registry(loose_root).blobs
        packed = nbr.Registry(packed_root).blobs
        t_loose, _ = time_once(lambda: [loose.put_file(p) for p in paths])
        settle()
        from nb_registry.store import filesets

        threshold = filesets.PACKED_BELOW
        filesets.PACKED_BELOW = 1 << 40  # packed whatever their size, to compare
        try:
            t_packed, _ = time_once(lambda: filesets.put_files(packed, paths))
        finally:
            filesets.PACKED_BELOW = threshold
        assert os.listdir(os.path.join(packed_root, "blobs", "packs"))
        table.note(f"  {kib} KiB files ({n}), per file", f"loose {1e3 * t_loose / n:.3f} ms, packed {1e3 * t_packed / n:.3f} ms; "
                   f"the bytes alone (copy at the packed rate of 4 MiB files) {1e3 * kib / 1024 * per_mib[0]:.3f} ms")
        if kib == 4096:
            per_mib[0] = t_packed / n / 4
        rmtree(folder)
        rmtree(loose_root)
        rmtree(packed_root)


def main() -> None:
    p = parser(__doc__.split("\n\n")[0], repeat=3)
    p.add_argument("--files", default="5000,50000", help="folder sizes, comma-separated (default %(default)s)")
    p.add_argument("--file-kib", type=int, default=4, help="size of each file (default %(default)s)")
    p.add_argument("--s3-files", type=int, default=5000, help="files of the S3 figure (default %(default)s)")
    p.add_argument("--skip-s3", action="store_true")
    p.add_argument("--threshold", action="store_true", help="only measure the cost per file by size")
    args = p.parse_args()
    header("bench_folders: folders of many small files, as ratios to copytree in the same run", args)
    table = Table()
    with Scratch(args.dir, "folders", args.keep) as sc:
        if args.threshold:
            bench_threshold(sc, args, table)
        else:
            for n in (int(x) for x in args.files.split(",")):
                bench_size(sc, n, args, table)
            if not args.skip_s3:
                bench_s3(sc, args, table)
    table.print()


if __name__ == "__main__":
    main()
