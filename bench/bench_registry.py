"""A registry of many versions: resolve, log one more, growth from 100 to N versions, cold start.

    .venv/bin/python bench/bench_registry.py                     # 10,000 versions in 100 collections
    .venv/bin/python bench/bench_registry.py --versions 1000     # quick
    .venv/bin/python bench/bench_registry.py --profile           # also cProfile the logs and the resolves

The registry is built with the public API (``nbr.init`` + ``run.log_artifact`` of a small unique
file per version, a new run every 100 logs), filling the collections evenly, so at 100 versions
each collection holds 1 version and at 10,000 each holds 100. Every third version of each collection
(v0, v3, ...) takes the alias ``best``. Figures (medians):
  resolve name:alias, warm   ``Api.artifact("cNNN:best")`` in a process that has resolved before.
                             Reference: one ``os.stat`` (what a cache check costs).  target <= 1 ms
  log one more version       Artifact + add_file (200 B) + run.log_artifact into an existing collection.
                             Reference: one durable atomic 4 KiB write (write, fsync, rename, fsync
                             folder), the least a crash-safe metadata commit costs.   target <= 10 ms
  growth                     log time at N versions / log time at 100 versions.      target <= 2x
  cold open + resolve        a new process: import nb_registry, open the registry, resolve one alias.
                             Reference: ``python -c pass``.                          target <= 0.3 s
"""

from __future__ import annotations

import cProfile
import os
import sys
import time
import uuid

from common import (durable_write, Scratch, Table, Tally, fmt_s, header, importtime, median, parser, run_python, settle, show_cprofile,
                    step, tree_bytes, use_child_env)

import nb_registry as nbr

PROJECT = "bench"


def coll(c: int) -> str:
    return f"c{c:03d}"


class Builder:
    """Logs small unique versions through the public API, a new run every ``batch`` logs."""

    def __init__(self, root: str, src: str, collections: int, batch: int = 100) -> None:
        self.root, self.src, self.collections, self.batch = root, src, collections, batch
        self.count = 0
        self.run: nbr.Run | None = None
        self.in_run = 0
        os.makedirs(src, exist_ok=True)

    def new_file(self) -> str:
        # a new path per version: rewriting one path in place could keep the same (inode, size, mtime)
        path = os.path.join(self.src, f"{uuid.uuid4().hex}.json")
        with open(path, "w") as f:
            f.write('{"weights": "%s", "n": %d, "pad": "%s"}' % (uuid.uuid4().hex, self.count, "x" * 120))
        return path

    def start_run(self) -> None:
        if self.run is not None:
            self.run.finish()
        self.run = nbr.init(root=self.root, project=PROJECT, job_type="build")
        self.in_run = 0

    def log(self, c: int, path: str | None = None, aliases: list[str] | None = None) -> "nbr.Artifact":
        if self.run is None or self.in_run >= self.batch:
            self.start_run()
        art = nbr.Artifact(coll(c), type="model", metadata={"val_acc": (self.count % 97) / 97})
        art.add_file(path or self.new_file(), name="model.json")
        logged = self.run.log_artifact(art, aliases=aliases if aliases is not None else
                                       (["best"] if (self.count // self.collections) % 3 == 0 else []))
        self.count += 1
        self.in_run += 1
        return logged

    def fill_to(self, total: int) -> float:
        """Log until the registry holds ``total`` versions, collections filled evenly; return seconds."""
        t = time.perf_counter()
        last = t
        while self.count < total:
            self.log(self.count % self.collections)
            if self.count % 1000 == 0 and time.perf_counter() - last > 5:
                last = time.perf_counter()
                print(f"    {self.count} versions, {last - t:.0f} s", flush=True)
        return time.perf_counter() - t

    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()
            self.run = None




def per_call(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def log_targets() -> list:
    """Functions whose time --profile tallies during the timed logs."""
    import json

    from nb_registry import artifacts as R, runs
    from nb_registry.store import blobs as B, files as F, hashing as H, shards as M
    from nb_registry.store.tiny import TinyDBStore

    return [(runs.Run, "log_artifact"), (R.Artifacts, "log"), (R.Artifacts, "_store_entries"),
            (TinyDBStore, "commit_version"), (R.Artifacts, "artifact"), (runs.Run, "_save"), (B.BlobStore, "put_file"),
            (B.BlobStore, "put_bytes"), (H.StatCache, "get"), (H.StatCache, "put"), (M.Shards, "read"),
            (M.Shards, "_fresh"), (M.Shards, "_commit"),
            (F.LocalFiles, "write"), (F.LocalFiles, "append"), (F.LocalFiles, "lock"), (F, "_fsync_dir"),
            (F.os, "fsync"), (F.os, "replace"), (json, "loads"), (json, "dumps")]


class Logs:
    """Times of the sampled logs, the reference write before each, and the time each spent in fsync."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.refs: list[float] = []
        self.fsync: list[float] = []
        self.cpu: list[float] = []
        self.fsync_calls = 0

    @property
    def log(self) -> float:
        return median(self.times)

    @property
    def ref(self) -> float:
        return median(self.refs)

    @property
    def rest(self) -> float:
        """Median time outside fsync: the part that depends on the code, not on the disk's latency."""
        return median([t - f for t, f in zip(self.times, self.fsync)])


def measure_logs(b: Builder, samples: int, ref_dir: str, prof: cProfile.Profile | None = None,
                 tally: Tally | None = None) -> Logs:
    """``samples`` logs of one more small version into collections spread over the registry, each
    right after one reference durable write (so both see the same disk weather)."""
    b.finish()
    b.batch = samples + 1  # one fresh run for all the samples (a run's document grows with its outputs)
    files = [b.new_file() for _ in range(samples)]
    b.start_run()
    settle()
    step_ = max(1, b.collections // samples)
    out = Logs()
    for i, path in enumerate(files):
        c = (i * step_ + 7) % b.collections
        t = time.perf_counter()
        durable_write(ref_dir)
        out.refs.append(time.perf_counter() - t)
        if tally:
            tally.__enter__()
        with Tally([(os, "fsync")]) as fs:
            c0 = time.process_time()
            t = time.perf_counter()
            if prof:
                prof.enable()
            b.log(c, path, aliases=["candidate"])
            if prof:
                prof.disable()
            out.times.append(time.perf_counter() - t)
            out.cpu.append(time.process_time() - c0)
        if tally:
            tally.__exit__()
        out.fsync.append(sum(fs.total.values()))
        out.fsync_calls += sum(fs.calls.values())
    b.finish()
    b.batch = 100
    return out


def measure_resolve(root: str, collections: int, n: int, prof: cProfile.Profile | None = None) -> list[float]:
    api = nbr.Api(root=root, project=PROJECT)
    for c in range(collections):  # warm: every shard parsed once
        api.artifact(f"{coll(c)}:best")

    def one(i: int) -> None:
        a = api.artifact(f"{coll(i % collections)}:best")
        assert "best" in a.aliases

    if prof:
        prof.enable()
    times = per_call(one, n)
    if prof:
        prof.disable()
    return times


def spread(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"min {fmt_s(xs[0])}, median {fmt_s(median(xs))}, p90 {fmt_s(xs[int(0.9 * (len(xs) - 1))])}, max {fmt_s(xs[-1])}"


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--versions", type=int, default=10000, help="versions in the large registry (default %(default)s)")
    p.add_argument("--collections", type=int, default=100, help="collections (default %(default)s)")
    p.add_argument("--samples", type=int, default=30, help="logs timed at each size (default %(default)s)")
    p.add_argument("--resolves", type=int, default=3000, help="warm resolves timed (default %(default)s)")
    p.add_argument("--cold", type=int, default=7, help="cold processes timed (default %(default)s)")
    args = p.parse_args()
    header("bench_registry: a registry of many versions", args)
    use_child_env(args.dir)
    table = Table()
    small = max(args.collections, 100)  # the "100 versions" point: one version per collection (or 100 in one)
    prof_log = cProfile.Profile() if args.profile else None
    prof_res = cProfile.Profile() if args.profile else None
    with Scratch(args.dir, "registry", args.keep) as sc:
        root = sc.path("reg")
        b = Builder(root, sc.path("src"), args.collections)
        ref_dir = sc.path("ref")
        os.makedirs(ref_dir)

        with step(f"building {small} versions"):
            build_small = b.fill_to(small)
        with step(f"timing {args.samples} logs of one more version at {b.count} versions, each after a reference write"):
            at_small = measure_logs(b, args.samples, ref_dir)
            res_small = median(measure_resolve(root, args.collections, args.resolves))
            print(f"    log:       {spread(at_small.times)}\n    reference: {spread(at_small.refs)}")
        tally_small = Tally(log_targets()) if args.profile else None
        if tally_small is not None:
            with step(f"profiling {args.samples} more logs (not part of the figures)"):
                prof_small_logs = measure_logs(b, args.samples, ref_dir, tally=tally_small)
        with step(f"building up to {args.versions} versions"):
            build_big = b.fill_to(args.versions) + build_small
        n_at = b.count
        with step(f"timing {args.samples} logs of one more version at {n_at} versions, each after a reference write"):
            at_big = measure_logs(b, args.samples, ref_dir)
            print(f"    log:       {spread(at_big.times)}\n    reference: {spread(at_big.refs)}")
        with step(f"timing {args.resolves} warm resolves"):
            shard = os.path.join(root, "meta", "collections", PROJECT, f"{coll(0)}.json")
            ref_stat = median(per_call(lambda i: os.stat(shard), args.resolves))
            res_big = median(measure_resolve(root, args.collections, args.resolves))
        with step(f"timing a metadata query over every version of {coll(0)} (warm)"):
            api = nbr.Api(root=root, project=PROJECT)
            in_coll = len(api.artifact_versions(coll(0)))
            query_times = per_call(lambda i: api.artifact_versions(coll(0), filters={"metadata.val_acc": {"$gte": 0.9}}),
                                   max(5, min(50, 200_000 // max(in_coll, 1))))
        tally_big = Tally(log_targets()) if args.profile else None
        if args.profile:
            with step(f"profiling {args.samples} more logs and {args.resolves} resolves (not part of the figures)"):
                prof_big_logs = measure_logs(b, args.samples, ref_dir, prof_log, tally_big)
                measure_resolve(root, args.collections, args.resolves, prof_res)
        cold_code = (f"import nb_registry as nbr; a = nbr.Api(root={root!r}, project={PROJECT!r})"
                     f".artifact('{coll(42 % args.collections)}:best'); assert 'best' in a.aliases")
        with step(f"timing {args.cold} cold processes (after one untimed warm-up each)"):
            cold = median(run_python(cold_code, args.cold))
            bare = median(run_python("pass", args.cold))
            imp = median(run_python("import nb_registry", args.cold))
        if args.profile:
            importtime(cold_code)

        meta_bytes = tree_bytes(os.path.join(root, "meta"))
        shards = os.path.join(root, "meta", "collections", PROJECT)
        biggest = max(os.path.getsize(os.path.join(shards, f)) for f in os.listdir(shards) if f.endswith(".json"))
        log_small, ref_small, log_big, ref_big = at_small.log, at_small.ref, at_big.log, at_big.ref

        table.note("build", f"{n_at} versions in {args.collections} collections: {build_big:.1f} s "
                            f"({build_big / n_at * 1e3:.2f} ms per version)")
        table.note("metadata on disk", f"{meta_bytes / 1e6:.1f} MB; largest collection shard {biggest / 1e3:.0f} kB")
        table.add("os.stat of a shard (reference)", ref_stat)
        table.add(f"resolve name:alias, warm, at {small} versions", res_small, "os.stat", ref_stat)
        table.add(f"resolve name:alias, warm, at {n_at} versions", res_big, "os.stat", ref_stat,
                  target="<= 1 ms", ok=res_big <= 1e-3)
        for label, at in ((small, at_small), (n_at, at_big)):
            table.add(f"durable 4 KiB write at {label} versions (reference)", at.ref)
            table.add(f"log one more version at {label} versions", at.log, "durable write", at.ref,
                      **({"target": "<= 10 ms", "ok": at.log <= 10e-3} if at is at_big else {}))
            table.note("  of which", f"{at.fsync_calls / len(at.times):.0f} fsyncs, median {fmt_s(median(at.fsync))}; "
                                     f"outside fsync {fmt_s(at.rest)}; CPU {fmt_s(median(at.cpu))}")
        table.add(f"per-log growth {small} -> {n_at} versions", f"{fmt_s(log_small)} -> {fmt_s(log_big)}",
                  ratio=log_big / log_small, target="<= 2x", ok=log_big / log_small <= 2)
        table.add("  same, outside fsync", f"{fmt_s(at_small.rest)} -> {fmt_s(at_big.rest)}",
                  ratio=at_big.rest / at_small.rest)
        table.add("  same, CPU time of this process", f"{fmt_s(median(at_small.cpu))} -> {fmt_s(median(at_big.cpu))}",
                  ratio=median(at_big.cpu) / median(at_small.cpu))
        table.note("  same, each in units of its reference write",
                   f"{log_small / ref_small:.2f} -> {log_big / ref_big:.2f}: {(log_big / ref_big) / (log_small / ref_small):.2f}x")
        table.add(f"query all {in_coll} versions of one collection (filter on metadata), warm", median(query_times),
                  target="<= 100 ms", ok=median(query_times) <= 0.1)
        table.add("python -c pass (reference)", bare)
        table.add("python -c 'import nb_registry'", imp, "python -c pass", bare)
        table.add(f"cold process: import, open, resolve (at {n_at} versions)", cold, "python -c pass", bare,
                  target="<= 0.3 s", ok=cold <= 0.3)
        table.note("  = ", f"{fmt_s(cold - bare)} on top of the interpreter's own start")
        b.finish()
    table.print()
    if tally_small is not None and tally_big is not None:
        tally_small.print(f"{args.samples} logs of one more version at ~{small} versions", sum(prof_small_logs.times))
        tally_big.print(f"{args.samples} logs of one more version at {n_at} versions", sum(prof_big_logs.times))
    if prof_log is not None:
        show_cprofile(prof_log, f"{args.samples} logs of one more version at {n_at} versions")
    if prof_res is not None:
        show_cprofile(prof_res, f"{args.resolves} warm resolves at {n_at} versions")
    sys.exit(0)


if __name__ == "__main__":
    main()
