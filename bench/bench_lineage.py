"""Lineage on a large registry: a 5-level upstream query in a warm process.

    .venv/bin/python bench/bench_lineage.py                           # 10,000 versions, 2,000 runs
    .venv/bin/python bench/bench_lineage.py --versions 1000 --runs 200   # quick

The registry is built through the public API only: ``nbr.init`` per run, ``run.use_artifact`` of
1-3 earlier versions (mostly recent ones, so chains grow deep), then 5 ``run.log_artifact`` of a
small unique file each, into collections of its job kind (``data-*``, ``feat-*``, ``model-*``);
every 10th run makes its first output an ensemble that also ``add_reference``s its inputs
(depends-on edges). ``--versions`` is rounded to ``--runs`` x 5 outputs when they disagree.

Figures (medians):
  build                        wall time of the whole build, and per version logged (information).
  lineage up, depth 5, warm    ``api.lineage(spec, "up", depth=5)`` on the newest versions, in a process
                               whose lineage index is built (the first query builds it).   target <= 20 ms
                               References in the same run: a BFS of the same depth over a plain dict of
                               the same graph (the floor of any walk), and ``json.loads`` of the result.
  lineage up, after a write    the same query right after another version was logged (the index
                               re-reads only the shards named in the journal since the last query).
  lineage down, depth 5, warm  ``api.lineage(spec, "down", depth=5)`` from an early dataset version.
  index build, cold            a new process: open the registry and answer one query (information).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import uuid

from common import Scratch, Table, header, median, parser, run_python, step, use_child_env

import nb_registry as nbr

PROJECT = "bench"
OUTPUTS = 5
KINDS = ("data", "feat", "model")


class Builder:
    """Writes the registry through the public API and keeps the graph it wrote as plain dicts."""

    def __init__(self, root: str, src: str, runs: int, collections: int, seed: int = 7) -> None:
        self.root, self.src, self.runs, self.collections = root, src, runs, collections
        self.rng = random.Random(seed)
        self.versions: list[str] = []
        self.up: dict[str, list[str]] = {}  # node -> upstream neighbours (the reference graph)
        os.makedirs(src, exist_ok=True)

    def new_file(self, i: int) -> str:
        path = os.path.join(self.src, f"{uuid.uuid4().hex}.bin")
        with open(path, "w") as f:
            f.write(f"{uuid.uuid4().hex} {i}")
        return path

    def pick_inputs(self) -> list[str]:
        if not self.versions:
            return []
        k = self.rng.randint(1, 3)
        recent = self.versions[-200:]
        out = {self.rng.choice(recent) if self.rng.random() < 0.8 else self.rng.choice(self.versions) for _ in range(k)}
        return sorted(out)

    def build(self) -> None:
        for r in range(self.runs):
            kind = KINDS[min(2, r * 3 // max(1, self.runs) if r > 5 else 0)] if r < 3 else self.rng.choice(KINDS)
            inputs = self.pick_inputs() if r >= 3 else []
            with nbr.init(project=PROJECT, job_type=kind, config={"i": r, "lr": self.rng.random()}, root=self.root) as run:
                used = [run.use_artifact(v) for v in inputs]
                run_node = f"run:{run.path}"
                self.up[run_node] = [f"artifact:{v}" for v in inputs]
                for j in range(OUTPUTS):
                    name = f"{kind}-{self.rng.randrange(self.collections)}"
                    art = nbr.Artifact(name, type=kind, metadata={"score": self.rng.random()})
                    art.add_file(self.new_file(len(self.versions)), name="part.bin")
                    deps: list[str] = []
                    if j == 0 and r % 10 == 9 and used:
                        name = f"ensemble-{r % 20}"
                        art = nbr.Artifact(name, type="ensemble")
                        art.add_file(self.new_file(len(self.versions)), name="combine.json")
                        for k, u in enumerate(used):
                            art.add_reference(u, name=f"member{k}")
                        deps = [u.id for u in used]
                    logged = run.log_artifact(art)
                    self.versions.append(logged.id)
                    self.up[f"artifact:{logged.id}"] = [run_node] + [f"artifact:{d}" for d in deps]
            if (r + 1) % max(1, self.runs // 10) == 0:
                print(f"    {r + 1} runs, {len(self.versions)} versions", flush=True)


def dict_walk(up: dict[str, list[str]], start: str, depth: int) -> tuple[set[str], list[tuple[str, str]]]:
    """The reference: a BFS over a plain dict, collecting nodes and edges, same depth."""
    seen, edges, frontier = {start}, [], [start]
    for _ in range(depth):
        nxt = []
        for key in frontier:
            for other in up.get(key, ()):
                edges.append((other, key))
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    return seen, edges


def timed_each(fn, items, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        for it in items:
            t = time.perf_counter()
            fn(it)
            times.append(time.perf_counter() - t)
    return times


def main() -> None:
    p = parser(__doc__.splitlines()[0], repeat=5)
    p.add_argument("--versions", type=int, default=10_000, help="versions to log (default %(default)s)")
    p.add_argument("--runs", type=int, default=2_000, help="runs, each logging 5 versions (default %(default)s)")
    p.add_argument("--collections", type=int, default=0, help="collections per kind (default: versions / 300)")
    p.add_argument("--depth", type=int, default=5)
    p.add_argument("--root", default=None, help="reuse (or build into) this registry instead of a scratch one")
    args = p.parse_args()
    if args.versions != args.runs * OUTPUTS:
        print(f"(--versions {args.versions} and --runs {args.runs}: each run logs {OUTPUTS}, so "
              f"{args.runs * OUTPUTS} versions)")
    header("lineage on a large registry", args)
    table = Table()
    with Scratch(args.dir, "lineage", keep=args.keep) as scratch:
        env = use_child_env(args.dir)
        root = args.root or scratch.path("registry")
        work = scratch.path("work")
        os.makedirs(work)
        os.chdir(work)  # not a git checkout: each run's git probe is one quick failing call
        collections = args.collections or max(1, args.runs * OUTPUTS // 300)
        builder = Builder(root, scratch.path("src"), args.runs, collections)
        graph_file = os.path.join(root, "bench-graph.json")
        if args.root and os.path.exists(graph_file):
            with open(graph_file) as f:
                saved = json.load(f)
            builder.versions, builder.up = saved["versions"], saved["up"]
            print(f"- reusing {root}: {len(builder.versions)} versions")
        else:
            with step(f"build {args.runs} runs x {OUTPUTS} versions through the public API"):
                t = time.perf_counter()
                builder.build()
                build_s = time.perf_counter() - t
            with open(graph_file, "w") as f:
                json.dump({"versions": builder.versions, "up": builder.up}, f)
            table.add("build (public API)", build_s)
            table.add("  per version logged", build_s / len(builder.versions), target="information")
        api = nbr.Api(root=root, project=PROJECT)
        n_runs = sum(1 for k in builder.up if k.startswith("run:"))
        table.note("registry", f"{len(builder.versions)} versions, {n_runs} runs")

        # the first query builds the index (timed for information), later ones are warm
        targets = builder.versions[-20:]
        cold, _ = _once(lambda: api.lineage(targets[0], "up", depth=args.depth))
        table.add("index build + first query, in process", cold, target="information")

        results = [api.lineage(v, "up", depth=args.depth) for v in targets]
        sizes = [(len(g["nodes"]), len(g["edges"])) for g in results]
        table.note("result size (nodes, edges)", f"median {statistics.median(s[0] for s in sizes):.0f} nodes, "
                                                 f"{statistics.median(s[1] for s in sizes):.0f} edges, max {max(s[0] for s in sizes)} nodes")
        ref_nodes = [len(dict_walk(builder.up, f"artifact:{v}", args.depth)[0]) for v in targets]
        if [s[0] for s in sizes] != ref_nodes:
            print(f"  !! node counts differ from the reference walk: {[s[0] for s in sizes]} vs {ref_nodes}")

        walk = median(timed_each(lambda v: dict_walk(builder.up, f"artifact:{v}", args.depth), targets, args.repeat))
        blobs = [json.dumps(g) for g in results]
        loads = median(timed_each(json.loads, blobs, args.repeat))
        warm = median(timed_each(lambda v: api.lineage(v, "up", depth=args.depth), targets, args.repeat))
        table.add(f"lineage up, depth {args.depth}, warm", warm, "dict walk", walk, target="<= 20 ms", ok=warm <= 0.020)
        table.add("  reference: json.loads of the result", loads)

        # after a write by this process: the index re-reads the journal's new shards only
        after = []
        for v in targets[: max(3, args.repeat)]:
            with nbr.init(project=PROJECT, job_type="model", root=root) as run:
                run.use_artifact(v)
                art = nbr.Artifact("after-write", type="model")
                art.add_file(builder.new_file(-1), name="w.bin")
                new = run.log_artifact(art)
            t = time.perf_counter()
            g = api.lineage(new.id, "up", depth=args.depth)
            after.append(time.perf_counter() - t)
            assert any(n["id"] == f"artifact:{v}" for n in g["nodes"])
        table.add(f"lineage up, depth {args.depth}, right after a write", median(after), "warm query", warm)

        early = builder.versions[:20]
        down = median(timed_each(lambda v: api.lineage(v, "down", depth=args.depth), early, max(1, args.repeat // 2)))
        dsz = statistics.median(len(api.lineage(v, "down", depth=args.depth)["nodes"]) for v in early)
        table.add(f"lineage down, depth {args.depth}, warm ({dsz:.0f} nodes median)", down, target="information")

        code = (f"import nb_registry as nbr; api = nbr.Api(root={root!r}, project={PROJECT!r}); "
                f"api.lineage({targets[-1]!r}, 'up', depth={args.depth})")
        cold_proc = median(run_python(code, repeat=3, warmup=1, env=env))
        bare = median(run_python("pass", repeat=3, warmup=1, env=env))
        table.add("new process: open + index + one query", cold_proc, "python -c pass", bare, target="information")
    table.print()


def _once(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


if __name__ == "__main__":
    sys.exit(main())
