"""The registry browser on a large registry: open it, show each tab, turn a page.

    .venv/bin/python bench/bench_browser.py                          # 10,000 versions in 20 collections
    .venv/bin/python bench/bench_browser.py --versions 1000          # quick
    .venv/bin/python bench/bench_browser.py --root /tmp/reg10k       # reuse a registry built before

The registry is built with the public API (``nbr.init`` + ``run.log_artifact`` of a small unique
file per version, a new run every 100 logs with a config and a few logged metrics) and has
``--models`` registered models with five linked versions, aliases and a model card each.
Building 10,000 versions takes a few minutes; ``--root`` keeps and reuses the registry.
Figures (medians of ``--repeat``):
  open (first in process)   ``RegistryBrowser(api)`` the first time: imports ipywidgets and the panels.
  open                      ``RegistryBrowser(api)`` again (a notebook re-running the cell). target <= 1 s
  Artifacts tab             first show of the tab: collections, newest page of the first collection,
                            details of its newest version (files, producer, consumers).   target <= 1 s
  next page                 "Older" in the versions list.                                  target <= 0.2 s
  Runs tab                  first show: every run read, filtered, sorted, tabled.           target <= 1 s
  cold                      new process: import, open the registry, build the browser.
                            Reference: a bare ``python -c "import ipywidgets"``.
The widgets are built without a front end (no kernel): this is the Python side a user waits for.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

from common import Scratch, Table, header, median, parser, run_python, step

import nb_registry as nbr

PROJECT = "bench"


def build(root: str, src: str, versions: int, collections: int, models: int) -> float:
    """Log ``versions`` small versions over ``collections``; link some into ``models`` registered models."""
    os.makedirs(src, exist_ok=True)
    t = time.perf_counter()
    run = None
    for i in range(versions):
        if i % 100 == 0:
            if run is not None:
                run.finish()
            k = i // 100
            run = nbr.init(root=root, project=PROJECT, job_type="train", name=f"train-{k:03d}",
                           config={"lr": 10 ** -(1 + k % 4), "batch": 32 * (1 + k % 3), "opt": ("adam", "sgd")[k % 2]})
            for s in range(5):
                run.log({"loss": 1.0 / (s + 1 + k % 7), "acc": 0.5 + 0.08 * s + 0.001 * (k % 13)})
        path = os.path.join(src, f"{uuid.uuid4().hex}.json")
        with open(path, "w") as f:
            f.write('{"weights": "%s", "n": %d}' % (uuid.uuid4().hex, i))
        art = nbr.Artifact(f"c{i % collections:03d}", type=("model", "dataset", "checkpoint")[i % collections % 3],
                           metadata={"val_acc": (i % 97) / 97, "epoch": i // collections})
        art.add_file(path, name="weights.json")
        run.log_artifact(art, aliases=["best"] if i % 7 == 0 else [])
        if (i + 1) % 1000 == 0:
            print(f"    {i + 1} versions, {time.perf_counter() - t:.0f} s", flush=True)
    if run is not None:
        run.finish()
    api = nbr.Api(root=root, project=PROJECT)
    for m in range(models):
        name = f"model_{m:02d}"
        api.create_registered_model(name, description=f"bench model {m}", tags=["bench", f"team{m % 3}"],
                                    model_card=f"# {name}\n\nTrained on **bench** data.\n\n- metric: val_acc\n")
        for v in range(5):
            api.link(f"c{(m * 3) % collections:03d}:v{v}", name, aliases=["production"] if v == 3 else [])
    return time.perf_counter() - t


def times(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--versions", type=int, default=10_000, help="artifact versions (default %(default)s)")
    p.add_argument("--collections", type=int, default=20, help="collections they are spread over (default %(default)s)")
    p.add_argument("--models", type=int, default=10, help="registered models (default %(default)s)")
    p.add_argument("--page-size", type=int, default=50, help="versions per page in the browser (default %(default)s)")
    p.add_argument("--root", default=None, help="registry to use; built there first if it has no artifacts")
    args = p.parse_args()
    args.repeat = max(args.repeat, 5)
    header("registry browser on a large registry", args)
    table = Table()
    with Scratch(args.dir, "browser", keep=args.keep) as scratch:
        root = args.root or scratch.path("registry")
        if not nbr.Api(root=root, project=PROJECT).artifact_collections():
            with step(f"build {args.versions:,} versions in {args.collections} collections, {args.models} models"):
                secs = build(root, scratch.path("src"), args.versions, args.collections, args.models)
            table.note("build", f"{secs:.0f} s for {args.versions:,} versions")
        api = nbr.Api(root=root, project=PROJECT)
        api.artifact_collections(), api.registered_models()  # the registry is open, as in a notebook that used it
        collections = api.artifact_collections()
        sizes = {q: int(api.artifact(f"{q}:latest").version[1:]) + 1
                 for q in (f"{c['project']}/{c['name']}" for c in collections[:5])}
        biggest = max(sizes, key=sizes.__getitem__)
        table.note("registry", f"{len(collections)} collections ({biggest}: {sizes[biggest]:,} versions), "
                               f"{len(api.runs())} runs, {len(api.registered_models())} registered models")

        t = time.perf_counter()
        from nb_registry.widgets import RegistryBrowser

        RegistryBrowser(api, page_size=args.page_size)
        first = time.perf_counter() - t
        table.add("open (first in process)", first, target="<= 1 s", ok=first <= 1.0)
        opened = times(lambda: RegistryBrowser(api, page_size=args.page_size), args.repeat)
        table.add("open", median(opened), target="<= 1 s", ok=median(opened) <= 1.0)

        browsers = [RegistryBrowser(api, page_size=args.page_size) for _ in range(args.repeat)]
        shown = []
        for b in browsers:
            t = time.perf_counter()
            b.selected_index = 1
            shown.append(time.perf_counter() - t)
        table.add("Artifacts tab", median(shown), target="<= 1 s", ok=median(shown) <= 1.0)
        table.note("Artifacts tab, first", f"{max(shown) * 1e3:.0f} ms (builds the lineage index for 'used by')")
        arts = browsers[0].artifacts
        arts.collections.value = biggest

        def turn() -> None:
            (arts.prev_button if arts.next_button.disabled else arts.next_button).click()

        paged = times(turn, args.repeat * 4)
        table.add("next page", median(paged), target="<= 0.2 s", ok=median(paged) <= 0.2)
        runs_shown = []
        for b in browsers:
            t = time.perf_counter()
            b.selected_index = 2
            runs_shown.append(time.perf_counter() - t)
        table.add("Runs tab", median(runs_shown), target="<= 1 s", ok=median(runs_shown) <= 1.0)

        code = ("import nb_registry as nbr\nfrom nb_registry.widgets import RegistryBrowser\n"
                f"RegistryBrowser(nbr.Api(root={root!r}, project={PROJECT!r}))")
        cold = run_python(code, repeat=3)
        ref = run_python("import ipywidgets", repeat=3)
        table.add("cold (new process)", median(cold), "python -c 'import ipywidgets'", median(ref))
    table.print()
    sys.exit(1 if table.misses else 0)


if __name__ == "__main__":
    main()
