"""A 500-node ensemble history drawn by ``%lineage`` in a real JupyterLab, driven by headless Chromium.

The registry is built through the public Python API, in a subprocess (so this process keeps no run or open
registry), while JupyterLab starts. It is an ensemble history as the W&B walkthrough grows it:

* ``generate-data`` logs ``dataset``;
* 60 ``train-NN`` runs each use the dataset, log 6 checkpoints (``ckpt-NN``, the best one aliased ``best``) and a
  model ``model-NN`` that references its checkpoints (depends-on edges);
* 12 ``assemble-K`` runs each use 5 models and log ``ensemble-K`` referencing them;
* ``assemble-all`` uses the 12 ensembles and logs ``ensemble_all`` referencing them.

``Api.lineage("ensemble_all:latest", "up")`` then has 508 nodes (74 runs, 434 versions) and 998 edges.

Above ``LINEAGE_WIDGET_MAX_NODES`` (200) nodes ``%lineage`` does not make the ipycytoscape widget (one widget model
per node and edge, about 1,500 here) but returns a ``LineageOutput``: one display message whose
``application/vnd.nb-registry.lineage+json`` data (the cytoscape elements, our layout's positions included) is drawn
by the lab extension's MIME renderer (labextension/src/mime.ts) into a ``.nbr-lineage-mime`` container.

JupyterLab is started as a person would (``jupyter lab`` on 127.0.0.1 with a token, ``--allow-root`` as root, a
user-settings folder that turns the "Jupyter news" toast off). A temporary ``JUPYTER_PATH`` entry links the lab
extension built into ``nb_registry/labextension`` as ``labextensions/nb-registry``, so the test draws with the
current build whether or not the package was reinstalled since. The notebook, written with nbformat, holds two
cells: ``%load_ext nb_registry`` and ``%lineage <project>/ensemble_all:latest --up``. Chromium opens it, waits for
the kernel to be idle, clicks Run > Run All Cells, and waits until every node is in the cytoscape instance and the
node layer has painted. cytoscape.js keeps its instance on its container (``el._cyreg.cy``, here the
``.nbr-lineage-mime`` element), which gives what the user sees: the nodes' data, model positions and bounding boxes.
The test asserts that

* the output is the MIME renderer's (its output element has the lineage MIME type), not a widget;
* the graph drawn has exactly the nodes (ids) of ``Api.lineage(...)``, at least 450 of them;
* no two node bounding boxes overlap (cytoscape's own ``node.boundingBox()``, the box with and without label);
* the layout is directed: for every depends-on, produced and used edge the target is above its source
  (smaller y, screen coordinates grow downwards);
* clicking a node (a cytoscape ``tap``) shows its details beside the graph, without the kernel.

It measures and prints, and does not assert, how long the graph took to draw (Run All to the node layer painted
with every node present; the issue's target is 2 s), with the steps in between, and how long the Python side takes
on that graph: the layout (``graph_layout.layout``, ``cytoscape_elements``), the display bundle ``%lineage`` sends
(``LineageOutput._repr_mimebundle_``: elements plus SVG) and, for comparison, the ipycytoscape widget. A screenshot is
saved in the test's tmp dir. The test takes about 40 s, most of it JupyterLab starting and the page loading.
"""

from __future__ import annotations

import collections
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from labharness import (  # noqa: E402
    chromium_page,
    jupyter_path,
    require_built_extension,
    require_chromium,
    settings_dir,
)
from playwright import sync_api

from nb_registry.demo import free_port, lab_command, wait_for_server  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT = "ensemble-history"
SPEC = f"{PROJECT}/ensemble_all:latest"
NOTEBOOK = "large_lineage.ipynb"
MIME = "application/vnd.nb-registry.lineage+json"
DRAW_TARGET_S = 2.0  # the target, reported, not asserted
DIRECTED_KINDS = ("depends-on", "produced", "used")

# Runs in a subprocess: builds the registry through the public API and prints the lineage the test compares with.
BUILD = r"""
import json, os, sys, time, uuid
import nb_registry as nbr

root, src, project = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(src, exist_ok=True)
TRAIN, CKPTS, PER_ENSEMBLE = 60, 6, 5
t0 = time.perf_counter()

def artifact(name, type, i, **kw):
    path = os.path.join(src, uuid.uuid4().hex)
    with open(path, "w") as f:
        f.write(f"{name} {i} {uuid.uuid4().hex}")
    art = nbr.Artifact(name, type=type, **kw)
    art.add_file(path, name="weights.bin" if type != "dataset" else "data.csv")
    return art

with nbr.init(project=project, name="generate-data", job_type="data", root=root) as run:
    run.log_artifact(artifact("dataset", "dataset", 0))
models = []
for i in range(TRAIN):
    with nbr.init(project=project, name=f"train-{i:02d}", job_type="train", root=root,
                  config={"lr": 10 ** -(2 + i % 3), "seed": i, "width": 64 * (1 + i % 4)}) as run:
        run.use_artifact("dataset:latest")
        best = (i * 7) % CKPTS
        ckpts = [run.log_artifact(artifact(f"ckpt-{i:02d}", "checkpoint", e, metadata={"epoch": e}),
                                  aliases=["best"] if e == best else [])
                 for e in range(CKPTS)]
        model = artifact(f"model-{i:02d}", "model", i, metadata={"val_acc": 0.5 + (i % 17) / 40})
        for e, c in enumerate(ckpts):
            model.add_reference(c, name=f"checkpoints/epoch-{e}")
        models.append(run.log_artifact(model, aliases=["best"]))
ensembles = []
for k in range(TRAIN // PER_ENSEMBLE):
    with nbr.init(project=project, name=f"assemble-{k:02d}", job_type="assemble", root=root) as run:
        members = [run.use_artifact(m.id) for m in models[k * PER_ENSEMBLE:(k + 1) * PER_ENSEMBLE]]
        ens = artifact(f"ensemble-{k:02d}", "ensemble", k)
        for j, m in enumerate(members):
            ens.add_reference(m, name=f"members/m{j}")
        ensembles.append(run.log_artifact(ens, aliases=["production"] if k == 0 else []))
with nbr.init(project=project, name="assemble-all", job_type="assemble", root=root) as run:
    members = [run.use_artifact(e.id) for e in ensembles]
    ens = artifact("ensemble_all", "ensemble", 99)
    for j, m in enumerate(members):
        ens.add_reference(m, name=f"members/e{j}")
    run.log_artifact(ens, aliases=["production"])
build_s = time.perf_counter() - t0
graph = nbr.Api(root=root, project=project).lineage("ensemble_all:latest", "up")
print(json.dumps({"build_s": build_s, "graph": graph}))
"""

# Installed before Run All. Once per animation frame: when the %lineage cell has finished (its prompt has a
# number), when its cytoscape instance appears, when the instance holds every expected node, and the first frame
# after that in which the node layer has pixels. performance.now() milliseconds.
DRAW_PROBE_JS = """([expected, expectedEdges]) => {
  const t = window.__nbrDraw = {clicked: performance.now(), frames: 0, maxNodes: 0, maxEdges: 0, stderr: [], busy: 0};
  // main-thread tasks over 50 ms (the front end deserialising widgets, cytoscape drawing): their total duration
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!t.painted) t.busy += e.duration; })
    .observe({type: 'longtask'});
  const cellOf = () => {
    for (const c of document.querySelectorAll('.jp-Notebook .jp-CodeCell')) {
      const ed = c.querySelector('.jp-InputArea-editor');
      if (ed && ed.textContent.trim().startsWith('%lineage')) return c;
    }
    return null;
  };
  const tick = () => {
    t.frames++;
    const first = document.querySelector('.jp-Notebook .jp-CodeCell .jp-InputPrompt');
    if (!t.loadExt && first && /^\\[\\d+\\]:$/.test(first.innerText.trim())) t.loadExt = performance.now();
    const cell = cellOf();
    if (cell) {
      const prompt = cell.querySelector('.jp-InputPrompt');
      if (!t.executed && prompt && /^\\[\\d+\\]:$/.test(prompt.innerText.trim())) t.executed = performance.now();
      t.stderr = [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(e => e.innerText.slice(0, 800));
      for (const el of cell.querySelectorAll('.jp-OutputArea-output .nbr-lineage-mime')) {
        const cy = el._cyreg && el._cyreg.cy;
        if (!cy || cy.destroyed()) continue;
        t.created = t.created || performance.now();
        const n = cy.nodes().length;
        t.maxNodes = Math.max(t.maxNodes, n);
        if (n > 0 && !t.firstNode) t.firstNode = performance.now();
        if (n >= expected && !t.allNodes) t.allNodes = performance.now();
        t.maxEdges = Math.max(t.maxEdges, cy.edges().length);
        if (t.maxEdges >= expectedEdges && !t.allEdges) t.allEdges = performance.now();
        if (t.allNodes && !t.painted) {
          const c = el.querySelector('canvas[data-id="layer2-node"]');
          if (c && c.width && c.height) {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let p = 0;
            for (let i = 3; i < d.length; i += 64) if (d[i] > 0) p++;
            if (p > 50) t.painted = performance.now();
          }
        }
      }
    }
    if (!(t.painted && t.allEdges && t.executed)) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""

# What the user sees in the %lineage cell: every node's id, kind, model position and bounding boxes, every edge;
# the output's MIME type and whether it holds a widget view.
GRAPH_STATE_JS = """() => {
  for (const c of document.querySelectorAll('.jp-Notebook .jp-CodeCell')) {
    const ed = c.querySelector('.jp-InputArea-editor');
    if (!ed || !ed.textContent.trim().startsWith('%lineage')) continue;
    for (const el of c.querySelectorAll('.jp-OutputArea-output .nbr-lineage-mime')) {
      const cy = el._cyreg && el._cyreg.cy;
      if (!cy || cy.destroyed()) continue;
      const box = b => [b.x1, b.y1, b.x2, b.y2];
      const canvas = el.querySelector('canvas[data-id="layer2-node"]');
      const output = el.closest('.jp-OutputArea-output');
      return {
        mime: output.getAttribute('data-mime-type'),
        widgets: c.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length,
        nodes: cy.nodes().map(n => ({id: n.id(), kind: n.data('kind'), label: n.data('label'),
                                     x: n.position('x'), y: n.position('y'),
                                     box: box(n.boundingBox()),
                                     body: box(n.boundingBox({includeLabels: false, includeOverlays: false}))})),
        edges: cy.edges().map(e => ({source: e.source().id(), target: e.target().id(), kind: e.data('kind')})),
        zoom: cy.zoom(), extent: box(cy.extent()), width: el.clientWidth, height: el.clientHeight,
        canvas: canvas ? [canvas.width, canvas.height] : null,
      };
    }
  }
  return null;
}"""

# Click (tap) a node of the drawn graph; returns the text of the details pane beside it.
TAP_NODE_JS = """(id) => {
  const el = document.querySelector('.jp-Notebook .nbr-lineage-mime');
  el._cyreg.cy.getElementById(id).emit('tap');
  const pane = el.closest('.jp-OutputArea-output').querySelector('.nbr-lineage-mime-details');
  return pane ? pane.innerText : null;
}"""


def _write_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("%load_ext nb_registry"),
                nbformat.v4.new_code_cell(f"%lineage {SPEC} --up")]
    nbformat.write(nb, str(path))


def _overlaps(boxes: dict[str, list[float]]) -> list[tuple[str, str]]:
    """Pairs of boxes (x1, y1, x2, y2) that overlap, touching edges allowed: a sweep over x."""
    items = sorted(boxes.items(), key=lambda kv: kv[1][0])
    out = []
    for i, (a, ba) in enumerate(items):
        for b, bb in items[i + 1:]:
            if bb[0] >= ba[2]:
                break
            if ba[1] < bb[3] and bb[1] < ba[3]:
                out.append((a, b))
    return out


def _median_time(fn: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def test_500_node_lineage_draws_in_jupyterlab(tmp_path: Path) -> None:
    require_chromium()
    require_built_extension()
    t_start = time.monotonic()
    root, notebooks = tmp_path / "registry", tmp_path / "notebooks"
    notebooks.mkdir()
    _write_notebook(notebooks / NOTEBOOK)
    env = dict(os.environ, NB_REGISTRY_ROOT=str(root), JUPYTERLAB_SETTINGS_DIR=str(settings_dir(tmp_path)),
               JUPYTER_PATH=os.pathsep.join(p for p in [str(jupyter_path(tmp_path)), os.environ.get("JUPYTER_PATH", "")] if p),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               PYTHONPATH=os.pathsep.join(p for p in [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")] if p))
    for var in ("NB_REGISTRY_CACHE", "NB_REGISTRY_PROJECT"):
        env.pop(var, None)

    # JupyterLab starts while the registry is built: neither needs the other until the notebook runs.
    port, token = free_port(0), "nbr-large-graph-token"
    log = open(tmp_path / "server.log", "w")
    lab = subprocess.Popen(lab_command(notebooks, port, token, extra=["--ServerApp.log_level=WARN", "--LabApp.log_level=WARN"]),
                           stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, start_new_session=True)
    try:
        built = subprocess.run([sys.executable, "-c", BUILD, str(root), str(tmp_path / "src"), PROJECT],
                               capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
        assert built.returncode == 0, built.stderr[-3000:]
        result = json.loads(built.stdout.strip().splitlines()[-1])
        graph = result["graph"]
        expected = {n["id"] for n in graph["nodes"]}
        kinds = {k: sum(1 for n in graph["nodes"] if n["kind"] == k) for k in ("run", "artifact")}
        assert len(expected) >= 450, f"the ensemble history has {len(expected)} nodes, the test wants >= 450"
        wait_for_server(port, token, lab, timeout=90)
        t_server = time.monotonic()

        # The Python side of the draw, in this process: the layout, the cytoscape elements (which include the
        # layout), the display bundle %lineage sends for this graph, and (for comparison) the widget without a front end.
        from nb_registry.graph_layout import layout
        from nb_registry.widgets.lineage_view import (
            LINEAGE_WIDGET_MAX_NODES,
            LineageOutput,
            LineageView,
            cytoscape_elements,
            show_lineage,
        )

        shown = show_lineage(graph)
        assert len(expected) > LINEAGE_WIDGET_MAX_NODES and isinstance(shown, LineageOutput), shown
        layout_s = _median_time(lambda: layout(graph))
        size = layout(graph)
        elements_s = _median_time(lambda: cytoscape_elements(graph))
        bundle_s = _median_time(shown._repr_mimebundle_)
        bundle_kb = len(json.dumps(shown._repr_mimebundle_())) / 1024
        view_s = _median_time(lambda: LineageView(graph).close(), repeat=1)
        lay = cytoscape_elements(graph)[0]
        preset = {n["data"]["id"]: n["position"] for n in lay["nodes"]}

        with chromium_page({"width": 1500, "height": 1000}) as (page, errors):
            t0 = time.monotonic()
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}?token={token}&reset")
            # Run All before the kernel is there opens a "Select Kernel" dialog: wait for "| Idle" first.
            page.wait_for_function("() => /\\| Idle/.test(document.body.innerText)", timeout=60_000)
            t_idle = time.monotonic()
            page.evaluate(DRAW_PROBE_JS, [len(expected), len(graph["edges"])])
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            shot = tmp_path / "large-lineage.png"
            # Done when every node is painted and every edge is there, or as soon as the cell shows an error.
            try:
                page.wait_for_function("() => { const t = window.__nbrDraw; "
                                       "return t && ((t.painted && t.allEdges) || t.stderr.length); }", timeout=30_000)
            except sync_api.TimeoutError:
                pass
            try:  # the prompt's number can come a few frames after the drawing
                page.wait_for_function("() => window.__nbrDraw.executed || window.__nbrDraw.stderr.length", timeout=5_000)
            except sync_api.TimeoutError:
                pass
            draw = page.evaluate("() => window.__nbrDraw")
            if draw["stderr"] or not (draw.get("painted") and draw.get("allEdges")):
                page.wait_for_timeout(1000)  # let the output area settle for the screenshot
                page.screenshot(path=str(shot))
                draw = page.evaluate("() => window.__nbrDraw")
                rate = any("IOPub message rate exceeded" in e for e in draw["stderr"])
                why = ("The Jupyter server dropped the graph's messages (IOPub message rate exceeded): the widget "
                       "sent more than iopub_msg_rate_limit x rate_limit_window (1000/s x 3 s) comm updates for "
                       f"{len(expected)} nodes and {len(graph['edges'])} edges, so the graph is incomplete. (The "
                       "server counts comm_msg updates, not comm_open: widgets opened with their state pass.)"
                       if rate else "The graph was not drawn completely in 30 s.")
                done = (f"cell done {(draw['executed'] - draw['clicked']) / 1000:.2f} s after Run All"
                        if draw.get("executed") else "cell not done")
                pytest.fail(f"{why} In the browser: {draw['maxNodes']} of {len(expected)} nodes, {draw['maxEdges']} "
                            f"of {len(graph['edges'])} edges, {done}; cell stderr {draw['stderr']}; page errors "
                            f"{errors}; screenshot {shot}")
            drawn = page.evaluate(GRAPH_STATE_JS)
            page.screenshot(path=str(shot))
            clicked = next(n for n in graph["nodes"] if n["kind"] == "run")
            details = page.evaluate(TAP_NODE_JS, clicked["id"])
    finally:
        if lab.poll() is None:
            lab.terminate()  # SIGTERM: JupyterLab shuts its kernels down and exits
            try:
                lab.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
        log.close()

    def since_click(key: str) -> str:
        return f"{(draw[key] - draw['clicked']) / 1000:.2f} s" if draw.get(key) else "-"

    total_draw = (draw["painted"] - draw["clicked"]) / 1000
    deviation = max((abs(n["x"] - preset[n["id"]]["x"]) + abs(n["y"] - preset[n["id"]]["y"])
                     for n in drawn["nodes"] if n["id"] in preset), default=0.0)
    print(f"\nlarge lineage graph: {len(expected)} nodes ({kinds['run']} runs, {kinds['artifact']} versions), "
          f"{len(graph['edges'])} edges; registry built in {result['build_s']:.1f} s (public API, subprocess)\n"
          f"  JupyterLab up {t_server - t_start:.1f} s after the test started; page load to kernel idle "
          f"{t_idle - t0:.1f} s\n"
          f"  Run All -> %load_ext cell done {since_click('loadExt')}, %lineage cell done {since_click('executed')}, "
          f"cytoscape created {since_click('created')}, "
          f"first node {since_click('firstNode')}, all {len(expected)} nodes {since_click('allNodes')}, "
          f"painted {since_click('painted')}, all {len(graph['edges'])} edges {since_click('allEdges')} "
          f"({draw['frames']} frames; main-thread long tasks {draw['busy'] / 1000:.2f} s before the paint)\n"
          f"  DRAW TIME (Run All -> every node painted): {total_draw:.2f} s; the issue's target is <= "
          f"{DRAW_TARGET_S:.0f} s: {'PASS' if total_draw <= DRAW_TARGET_S else 'MISS'}\n"
          f"  Python, this process: graph_layout.layout {layout_s * 1000:.1f} ms, cytoscape_elements (layout "
          f"included) {elements_s * 1000:.1f} ms, %lineage's display bundle (MIME JSON + SVG, {bundle_kb:.0f} KB) "
          f"{bundle_s * 1000:.0f} ms; the ipycytoscape LineageView(graph) it replaces, without a front end, "
          f"{view_s * 1000:.0f} ms\n"
          f"  drawn: layout {size['width']:.0f} x {size['height']:.0f} px, widest layer "
          f"{max(collections.Counter(size['layers'].values()).values())} nodes; zoom {drawn['zoom']:.3f}, widget "
          f"{drawn['width']}x{drawn['height']} px, visible extent x {drawn['extent'][0]:.0f}..{drawn['extent'][2]:.0f}; "
          f"max distance from the "
          f"preset positions {deviation:.1f} px; screenshot {shot}")

    assert not errors, f"JavaScript errors on the page: {errors}"
    assert drawn["mime"] == MIME and drawn["widgets"] == 0, (drawn["mime"], drawn["widgets"])
    ids = [n["id"] for n in drawn["nodes"]]
    assert len(ids) == len(expected) and set(ids) == expected, (
        f"drawn {len(ids)} nodes, Api.lineage has {len(expected)}; missing {sorted(expected - set(ids))[:5]}, "
        f"extra {sorted(set(ids) - expected)[:5]}")
    assert len(drawn["edges"]) == len(graph["edges"])

    for which in ("body", "box"):  # without, then with the label
        bad = _overlaps({n["id"]: n[which] for n in drawn["nodes"]})
        assert not bad, f"{len(bad)} overlapping node boxes ({which}), e.g. {bad[:3]}"

    y = {n["id"]: n["y"] for n in drawn["nodes"]}
    checked = [e for e in drawn["edges"] if e["kind"] in DIRECTED_KINDS]
    assert {e["kind"] for e in checked} == set(DIRECTED_KINDS)
    upside_down = [e for e in checked if not y[e["target"]] < y[e["source"]]]
    assert not upside_down, (f"{len(upside_down)} of {len(checked)} edges do not point upwards, e.g. "
                             f"{[(e['source'], e['target'], e['kind'], y[e['source']], y[e['target']]) for e in upside_down[:3]]}")

    assert details and clicked["label"] in details and "job_type" in details, details
