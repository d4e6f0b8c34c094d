"""Logging a large checkpoint with ``add_file(..., policy="immutable")``: hashed in place and linked into the
store (a reflink, else a read-only hard link) instead of copied, against a kernel copy of the same file measured
in the same run.

    .venv/bin/python bench/bench_immutable.py                 # 1 GiB
    .venv/bin/python bench/bench_immutable.py --size-mib 256 --repeat 3

Figures (best of --repeat runs: the machine is shared; the file is random bytes already in the page cache):
  kernel copy          os.copy_file_range of the file into the store's filesystem (the physical reference)
  log, default policy  Artifact + add_file + run.log_artifact (run already started) into a fresh registry:
                       copied and hashed at once
  log, immutable       the same with policy="immutable"                                  target <= 0.5x
  log again            the unchanged file logged again with policy="immutable": a stat    target <= 5 %
"""

from __future__ import annotations

import os
import sys

from common import Scratch, Table, header, parser, rmtree, settle, time_once, unlink, write_random

import nb_registry as nbr


def kernel_copy(src: str, dst: str) -> None:
    with open(src, "rb") as s, open(dst, "wb") as d:
        left = os.fstat(s.fileno()).st_size
        while left:
            n = os.copy_file_range(s.fileno(), d.fileno(), left)
            if n == 0:
                break
            left -= n


def log(run: nbr.Run, path: str, policy: str) -> nbr.Artifact:
    """What the figure times: a draft, add_file and the log (the run is started before, as in training)."""
    art = nbr.Artifact("ckpt", type="model")
    art.add_file(path, policy=policy)
    return run.log_artifact(art)


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--size-mib", type=int, default=1024)
    args = p.parse_args()
    header("immutable policy", args)
    table = Table()
    with Scratch(args.dir, "immutable", args.keep) as scratch:
        src = scratch.path("ckpt.bin")
        write_random(src, args.size_mib << 20)
        copies, defaults, immutables, agains = [], [], [], []
        for _ in range(args.repeat):
            dst = scratch.fresh("copy")
            settle()
            copies.append(time_once(lambda: kernel_copy(src, dst))[0])
            unlink(dst)
            root = scratch.fresh("reg-default")
            run = nbr.init(project="bench", job_type="log", root=root)
            settle()
            defaults.append(time_once(lambda: log(run, src, "mutable"))[0])
            run.finish()
            rmtree(root)
            os.chmod(src, 0o644)
            work = scratch.fresh("ckpt") + ".bin"
            kernel_copy(src, work)  # a new inode each round: nothing is known about it yet
            root = scratch.fresh("reg-immutable")
            run = nbr.init(project="bench", job_type="log", root=root)
            settle()
            immutables.append(time_once(lambda: log(run, work, "immutable"))[0])
            agains.append(time_once(lambda: log(run, work, "immutable"))[0])
            run.finish()
            rmtree(root)
            os.chmod(work, 0o644)
            unlink(work)
        ref = min(copies)
        table.add("kernel copy", ref)
        table.add("log, default policy", min(defaults), "kernel copy", ref)
        table.add("log, immutable", min(immutables), "kernel copy", ref, target="<= 0.5x", ok=min(immutables) / ref <= 0.5)
        table.add("log again (immutable)", min(agains), "first immutable log", min(immutables), unit="%",
                  target="<= 5 %", ok=min(agains) / min(immutables) <= 0.05)
    table.print()
    return 1 if table.misses else 0


if __name__ == "__main__":
    sys.exit(main())
