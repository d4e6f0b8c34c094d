"""The notebook widgets in process (no browser): layout, standalone HTML, the lineage view and the
registry browser driven the way a person would (set values, click buttons), checked through the Api."""

from __future__ import annotations

import json
import random
import re
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

import ipywidgets as W
import pytest

import nb_registry as nbr
from nb_registry.graph_layout import layout
from nb_registry.lineage_html import lineage_to_html, save_lineage_html


# -- graphs -----------------------------------------------------------------------------------
def ensemble_history(n_ensembles: int, subs: int = 3, seed: int = 0) -> dict[str, Any]:
    """A W&B-style ensemble history: data -> train runs -> sub-models -> assemble run -> ensemble -> eval."""
    rnd = random.Random(seed)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []

    def art(name: str, v: int, type_: str, aliases: tuple[str, ...] = ()) -> str:
        nid = f"artifact:p/{name}:v{v}"
        label = f"{name}:v{v}" + (f" ({', '.join(aliases)})" if aliases else "")
        nodes.append({"id": nid, "kind": "artifact", "type": type_, "name": name, "version": f"v{v}",
                      "aliases": list(aliases), "label": label, "registered": []})
        return nid

    def run(name: str, job_type: str) -> str:
        nid = f"run:p/{name}"
        nodes.append({"id": nid, "kind": "run", "name": name, "job_type": job_type, "label": f"{name} ({job_type})"})
        return nid

    data = [art("data", i, "dataset") for i in range(3)]
    for e in range(n_ensembles):
        models = []
        for s in range(subs):
            r = run(f"train-{e}-{s}", "train")
            edges.append({"source": rnd.choice(data), "target": r, "kind": "used"})
            m = art(f"m{s}", e, "model", ("best",) if e == n_ensembles - 1 else ())
            edges.append({"source": r, "target": m, "kind": "produced"})
            models.append(m)
        r = run(f"assemble-{e}", "ensemble")
        ens = art("ensemble", e, "model")
        edges.append({"source": r, "target": ens, "kind": "produced"})
        for m in models:
            edges += [{"source": m, "target": r, "kind": "used"}, {"source": m, "target": ens, "kind": "depends-on"}]
        edges.append({"source": ens, "target": run(f"eval-{e}", "eval"), "kind": "used"})
    return {"root": "artifact:p/ensemble:v0", "nodes": nodes, "edges": edges}


def overlaps(lay: dict[str, Any]) -> list[tuple[str, str]]:
    rows: dict[float, list[str]] = defaultdict(list)
    for nid, p in lay["positions"].items():
        rows[p["y"]].append(nid)
    ys = sorted(rows)
    assert all(b - a >= lay["sizes"][rows[a][0]]["h"] for a, b in zip(ys, ys[1:])), "layers overlap vertically"
    bad = []
    for ids in rows.values():
        ids.sort(key=lambda n: lay["positions"][n]["x"])
        for a, b in zip(ids, ids[1:]):
            gap = lay["positions"][b]["x"] - lay["positions"][a]["x"]
            if gap < (lay["sizes"][a]["w"] + lay["sizes"][b]["w"]) / 2:
                bad.append((a, b))
    return bad


# -- a small registry in tmp ------------------------------------------------------------------
def _file(tmp: Path, name: str, text: str) -> str:
    p = tmp / "src" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return str(p)


@pytest.fixture
def api(tmp_path: Path) -> Any:
    """data -> 3 training runs (lr search) -> m0..m2 -> ensemble (linked to ensemble_all twice),
    plus a 5-version checkpoint collection."""
    root = str(tmp_path / "reg")
    with nbr.init(root=root, project="p", job_type="data", name="make-data") as run:
        run.log_artifact(_art("data", "dataset", _file(tmp_path, "d.csv", "x,y\n1,2\n")))
    subs = []
    for i, lr in enumerate([0.1, 0.01, 0.001]):
        with nbr.init(root=root, project="p", job_type="train", name=f"train-{i}",
                      config={"lr": lr, "opt": "adam" if i else "sgd"}) as run:
            run.use_artifact("data:latest")
            for step in range(4):
                run.log({"loss": 1.0 / (step + 1) + lr, "acc": 0.5 + 0.1 * step - lr})
            model = run.log_artifact(_art(f"m{i}", "model", _file(tmp_path, f"m{i}.json", f'{{"w": {i}}}')),
                                     aliases=["best"])
            run.link_artifact(model, f"model-registry/ensemble_m{i}", aliases=["production"])
            subs.append(model)
    with nbr.init(root=root, project="p", job_type="ensemble", name="assemble") as run:
        ens = nbr.Artifact("ensemble", type="model", metadata={"members": 3})
        for m in subs:
            run.use_artifact(m.id)
            ens.add_reference(m)
        ens.add_file(_file(tmp_path, "ens.json", '{"vote": "mean"}'))
        v0 = run.log_artifact(ens)
        run.link_artifact(v0, "model-registry/ensemble_all", aliases=["production"])
        ens2 = nbr.Artifact("ensemble", type="model", metadata={"members": 3, "weighted": True})
        for m in subs:
            ens2.add_reference(m)
        ens2.add_file(_file(tmp_path, "ens2.json", '{"vote": "weighted"}'))
        v1 = run.log_artifact(ens2)
        run.link_artifact(v1, "model-registry/ensemble_all", aliases=["staging"])
        for k in range(5):
            run.log_artifact(_art("ckpt", "checkpoint", _file(tmp_path, f"c{k}.bin", f"ckpt {k}")))
    a = nbr.Api(root=root, project="p")
    a.registered_model("ensemble_all").update(
        model_card="# Ensemble\n\nMean of **three** models.\n\n<script>alert(1)</script>\n\n- m0\n- m1", tags=["ensemble"])
    return a


def _art(name: str, type_: str, path: str) -> Any:
    art = nbr.Artifact(name, type=type_)
    art.add_file(path)
    return art


# -- layout -----------------------------------------------------------------------------------
def test_layout_500_nodes_has_no_overlap_and_puts_the_ensemble_above_its_sub_models() -> None:
    graph = ensemble_history(56)
    assert len(graph["nodes"]) >= 500
    t = time.perf_counter()
    lay = layout(graph)
    elapsed = time.perf_counter() - t
    assert set(lay["positions"]) == {n["id"] for n in graph["nodes"]}
    assert overlaps(lay) == []
    pos = lay["positions"]
    for e in range(56):
        ens_y = pos[f"artifact:p/ensemble:v{e}"]["y"]
        for s in range(3):
            assert ens_y < pos[f"artifact:p/m{s}:v{e}"]["y"]  # y grows downwards: the ensemble is on top
            assert pos[f"artifact:p/m{s}:v{e}"]["y"] < pos[f"run:p/train-{e}-{s}"]["y"]
    assert all(0 <= p["x"] <= lay["width"] and 0 <= p["y"] <= lay["height"] for p in pos.values())
    assert elapsed < 2.0, f"layout of {len(graph['nodes'])} nodes took {elapsed:.2f} s (about 0.03 s expected)"


def test_layout_survives_cycles_self_loops_and_dangling_edges() -> None:
    graph = {"nodes": [{"id": n, "label": n} for n in "abcd"],
             "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}, {"source": "c", "target": "a"},
                       {"source": "d", "target": "d"}, {"source": "a", "target": "zz"}]}
    lay = layout(graph)
    assert set(lay["positions"]) == set("abcd")
    assert overlaps(lay) == []
    assert sum(e["reversed"] for e in lay["edges"]) == 1
    assert layout({"nodes": [], "edges": []})["positions"] == {}


def test_layout_of_real_lineage_puts_downstream_on_top(api: Any) -> None:
    graph = api.lineage("ensemble:v0", direction="up")
    pos = layout(graph)["positions"]
    ids = {n.get("name"): n["id"] for n in graph["nodes"] if n["kind"] == "artifact"}
    assert pos[ids["ensemble"]]["y"] < pos[ids["m0"]]["y"] < pos[ids["data"]]["y"]


# -- standalone HTML --------------------------------------------------------------------------
def test_lineage_html_is_standalone_svg_with_every_label(tmp_path: Path) -> None:
    graph = ensemble_history(3)
    graph["nodes"][0]["label"] = "data:v0 <&> (best)"
    page = lineage_to_html(graph)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    svg = page[page.index("<svg"): page.index("</svg>") + 6]
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg")
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g[@data-i]")) == len(graph["nodes"])
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path[@class='edge']")) == len(graph["edges"])
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {n["label"] for n in graph["nodes"]} <= texts
    assert "marker-end" in svg and "legend" in page and "<title>" in svg
    assert "<script src" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    out = save_lineage_html(graph, tmp_path / "sub" / "lineage.html")
    assert Path(out).read_text(encoding="utf-8") == page


def test_lineage_html_node_details_cannot_break_out_of_their_script(tmp_path: Path) -> None:
    graph = ensemble_history(2)
    graph["nodes"][0]["label"] = "<!--<script></script>"  # would end the data block, or open an HTML comment
    page = lineage_to_html(graph)
    start = page.index("<script type='application/json' id='nbr-nodes'>") + len("<script type='application/json' id='nbr-nodes'>")
    data = page[start: page.index("</script>", start)]
    assert "<" not in data and ">" not in data
    assert json.loads(data)[0]  # still the same JSON, with \u003c escapes
    assert "<!--<script></script>" in json.dumps(json.loads(data))


def test_model_card_links_cannot_inject_attributes_without_a_markdown_library(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from nb_registry.widgets._html import markdown_to_html

    monkeypatch.setitem(sys.modules, "mistune", None)  # as if neither renderer were installed
    monkeypatch.setitem(sys.modules, "markdown_it", None)
    out = markdown_to_html("See [docs](https://example.com'/onmouseover='alert(1)//) and <b>x</b>")
    assert "onmouseover='" not in out and "'/onmouseover" not in out and "<b>" not in out
    assert "<a href='https://example.com&#x27;" in out  # the quote stays inside the URL, escaped


# -- the lineage widget -----------------------------------------------------------------------
def test_lineage_view_builds_nodes_edges_and_shows_a_clicked_node(tmp_path: Path, monkeypatch: Any) -> None:
    from nb_registry.widgets import LineageView

    graph = ensemble_history(2)
    view = LineageView(graph)
    assert len(view.cyto.graph.nodes) == len(graph["nodes"])
    assert len(view.cyto.graph.edges) == len({(e["source"], e["target"]) for e in graph["edges"]})
    assert view.cyto.cytoscape_layout["name"] == "preset"
    run_node = next(n for n in view.cyto.graph.nodes if n.data["kind"] == "run")
    assert "run" in run_node.classes and set(run_node.position) == {"x", "y"}
    # what ipycytoscape passes to the callback when a node is clicked in the browser
    handler = view.cyto._interaction_handlers["node"]["click"]
    handler({"data": dict(run_node.data), "position": dict(run_node.position), "group": "nodes"})
    assert view.selected == run_node.data["id"]
    assert "train" in view.details.value and "job_type" in view.details.value
    width = view.cyto.layout.width
    view.cyto._view_count = 1  # the front end displayed a view: refit (the layout width is nudged)
    assert view.cyto.layout.width != width
    view.fit_button.click()
    assert view.cyto.layout.width == width
    picture, widget = displayed(view)  # two outputs: the picture every viewer shows, then the widget
    assert "application/vnd.jupyter.widget-view+json" in widget and "LineageView" in widget["text/plain"]
    assert widget["text/html"] == "" and "image/svg+xml" not in widget  # shown once where widgets are not drawn
    assert_static_picture(picture, graph)  # what untrusted JupyterLab, nbviewer and GitHub show
    uid = re.search(r"nbr-static-([0-9a-f]+)", picture["text/html"]).group(1)
    assert f"nbr-live-{uid}" in view._dom_classes  # the live view's class, which hides the picture where it is drawn
    assert f"body:has(.nbr-live-{uid}) .nbr-static-{uid}" in picture["text/html"]
    monkeypatch.chdir(tmp_path)
    view.export_button.click()
    assert (tmp_path / "lineage.html").read_text().count(" data-i=") == len(graph["nodes"])
    assert "saved" in view.status.value


def displayed(obj: Any) -> list[dict[str, Any]]:
    """The outputs ``display(obj)`` makes in an IPython shell, as mime bundles."""
    from IPython.display import display
    from IPython.testing.globalipapp import get_ipython
    from IPython.utils.capture import capture_output

    get_ipython()
    with capture_output() as captured:
        display(obj)
    return [dict(o.data) for o in captured.outputs]


def assert_static_picture(bundle: dict[str, Any], graph: dict[str, Any]) -> None:
    """The saved picture: image/svg+xml is one well-formed SVG with every node, and text/html holds that same SVG as an
    <img> data URI (no inline <svg>, which sanitizers strip, and no script)."""
    import base64
    import re
    import xml.etree.ElementTree as ET

    svg = bundle["image/svg+xml"]
    root = ET.fromstring(svg)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g[@data-i]")) == len(graph["nodes"])
    assert "<script" not in svg and "href=" not in svg.replace("marker-end='url(#", "")
    page = re.sub(r"<style>[^<]*</style>", "", bundle["text/html"])
    assert "<svg" not in page and "<script" not in page
    m = re.search(r"<img class='nbr-lineage-picture' src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)' width='(\d+)'", page)
    assert m and base64.b64decode(m.group(1)).decode() == svg and int(m.group(2)) > 0


def test_lineage_view_of_a_registry_marks_registered_versions(api: Any) -> None:
    from nb_registry.widgets import LineageView

    view = LineageView(api.lineage("ensemble:v0", direction="both"))
    ens = next(n for n in view.cyto.graph.nodes if n.data.get("name") == "ensemble")
    assert "registered" in ens.classes
    assert view.selected == ens.data["id"]  # the root is shown first
    assert "model-registry/ensemble_all" in view.details.value


def test_show_lineage_keeps_the_widget_for_small_graphs_and_sends_one_mime_output_for_large_ones() -> None:
    import json

    from nb_registry.widgets.lineage_view import (
        LINEAGE_MIME_TYPE,
        LINEAGE_WIDGET_MAX_NODES,
        LineageOutput,
        LineageView,
        cytoscape_elements,
        show_lineage,
    )

    def chain(n: int) -> dict[str, Any]:
        nodes = [{"id": f"n{i}", "kind": "artifact", "type": "dataset", "label": f"n{i}"} for i in range(n)]
        return {"nodes": nodes, "edges": [{"source": f"n{i}", "target": f"n{i + 1}", "kind": "used"} for i in range(n - 1)]}

    assert LINEAGE_WIDGET_MAX_NODES == 200
    assert isinstance(show_lineage(ensemble_history(2)), LineageView)
    at_limit = show_lineage(chain(LINEAGE_WIDGET_MAX_NODES))
    assert isinstance(at_limit, LineageView)
    at_limit.close()
    assert isinstance(show_lineage(chain(LINEAGE_WIDGET_MAX_NODES + 1)), LineageOutput)

    graph = ensemble_history(23)
    assert len(graph["nodes"]) > LINEAGE_WIDGET_MAX_NODES
    out = show_lineage(graph)
    assert isinstance(out, LineageOutput)
    bundle = out._repr_mimebundle_()
    assert set(bundle) == {LINEAGE_MIME_TYPE, "text/html", "image/svg+xml", "text/plain"}
    data = json.loads(json.dumps(bundle[LINEAGE_MIME_TYPE], allow_nan=False))  # plain JSON, as the kernel sends it
    assert len(data["nodes"]) == len(graph["nodes"]) and len(data["edges"]) == len(graph["edges"])
    assert {n["data"]["id"] for n in data["nodes"]} == {n["id"] for n in graph["nodes"]}
    # our layout's positions and the widget's styles (widths, colours, classes), as the widget would draw them
    elements, rules = cytoscape_elements(graph)
    widget_nodes = {n["data"]["id"]: n for n in elements["nodes"]}
    for n in data["nodes"]:
        same = widget_nodes[n["data"]["id"]]
        assert n["position"] == same["position"] and n["classes"] == same["classes"]
        assert n["data"]["color"] == same["data"]["color"] and n["data"]["kind"] == same["data"]["kind"]
        assert abs(n["data"]["w"] - same["data"]["w"]) < 0.1 and n["data"]["details"][0] == ["label", same["data"]["label"]]
    assert sum("segments" in e for e in data["edges"]) == len(rules) > 0  # long edges bend as in the widget
    assert data["root"] == graph["root"]
    run = next(n for n in data["nodes"] if n["data"]["kind"] == "run")
    assert "run" in run["classes"].split() and ["job_type", "train"] in run["data"]["details"]
    assert_static_picture(bundle, graph)
    assert f"{len(graph['nodes'])} nodes" in bundle["text/plain"] and "LineageOutput" in bundle["text/plain"]


# -- the registry browser ---------------------------------------------------------------------
def test_browser_shows_registered_models_with_card_and_tags(api: Any) -> None:
    from nb_registry.widgets import RegistryBrowser

    browser = RegistryBrowser(api)
    assert isinstance(browser, W.Tab) and len(browser.children) == 3
    models = browser.models
    assert {v for _, v in models.model_list.options} == {"ensemble_all", "ensemble_m0", "ensemble_m1", "ensemble_m2"}
    models.model_list.value = "ensemble_all"
    assert "<h1>Ensemble</h1>" in models.card.value and "<strong>three</strong>" in models.card.value
    assert "<script>" not in models.card.value  # raw HTML in a model card is escaped
    assert "ensemble" in models.header.value and "production → v0" in models.header.value
    assert "staging" in models.versions_html.value
    assert models.version.value == "v1"  # the newest version is preselected in the move-alias control
    models.tag_filter.value = "ensemble"
    assert [v for _, v in models.model_list.options] == ["ensemble_all"]
    models.tag_filter.value = "(all tags)"
    models.search.value = "m1"
    assert [v for _, v in models.model_list.options] == ["ensemble_m1"] and models.selected == "ensemble_m1"


def test_moving_an_alias_through_the_widget_moves_it(api: Any) -> None:
    from nb_registry.widgets import RegistryBrowser

    models = RegistryBrowser(api).models
    models.model_list.value = "ensemble_all"
    assert api.registered_model("ensemble_all").aliases["production"] == 0
    models.alias.value = "production"
    models.version.value = "v1"
    models.move_button.click()
    assert api.registered_model("ensemble_all").aliases["production"] == 1
    assert "production → v1 (was v0)" in models.status.value
    assert "v1 (production, staging)" in [label for label, _ in models.version.options]
    assert api.registered_model("ensemble_all").history("production")[-1]["to"] == 1
    models.alias.value = "bad alias!"
    models.move_button.click()  # a bad alias is reported in the panel, never raised
    assert "✖" in models.status.value
    assert "bad alias!" not in api.registered_model("ensemble_all").aliases


def test_linking_a_version_through_the_widget(api: Any) -> None:
    from nb_registry.widgets import RegistryBrowser

    models = RegistryBrowser(api).models
    models.model_list.value = "ensemble_m1"
    models.link_spec.value = "m0:v0"
    models.link_aliases.value = "challenger"
    models.link_button.click()
    rm = api.registered_model("ensemble_m1")
    assert [v["artifact"] for v in rm.versions()] == ["p/m1:v0", "p/m0:v0"]
    assert rm.aliases["challenger"] == 1
    models.link_spec.value = "nope:v9"
    models.link_button.click()
    assert "✖" in models.status.value and len(api.registered_model("ensemble_m1").versions()) == 2


def test_artifacts_view_pages_versions_and_shows_producer_and_users(api: Any) -> None:
    from nb_registry.widgets import RegistryBrowser

    browser = RegistryBrowser(api, page_size=2)
    arts = browser.artifacts
    assert not arts.loaded
    browser.selected_index = 1
    assert arts.loaded
    labels = [label for label, _ in arts.collections.options]
    assert labels[0].startswith("checkpoint ·") and "dataset · p/data" in labels  # grouped by type
    arts.collections.value = "p/ckpt"
    assert arts.page_label.value == "1–2 of 5" and arts.prev_button.disabled
    assert arts.versions.options[0][0].startswith("v4")  # newest first
    arts.next_button.click()
    arts.next_button.click()
    assert arts.page_label.value == "5–5 of 5" and arts.next_button.disabled
    arts.collections.value = "p/data"
    details = arts.details.value
    assert "make-data" in details and "Used by (3 runs)" in details and "d.csv" in details
    arts.collections.value = "p/ensemble"
    assert "p/m0:v0" in arts.details.value  # depends on
    arts.type_filter.value = "dataset"
    assert [v for _, v in arts.collections.options] == ["p/data"]


def test_a_large_collection_is_read_a_page_at_a_time(api: Any, monkeypatch: Any) -> None:
    from nb_registry.widgets import RegistryBrowser, artifact_panel

    monkeypatch.setattr(artifact_panel, "FULL_LIST_MAX", 3)  # ckpt (5 versions) counts as large
    calls: list[str] = []
    original = api.artifact_versions
    monkeypatch.setattr(api, "artifact_versions", lambda *a, **k: calls.append(a[0]) or original(*a, **k))
    browser = RegistryBrowser(api, page_size=2)
    browser.selected_index = 1
    arts = browser.artifacts
    arts.collections.value = "p/ckpt"
    assert "p/ckpt" not in calls  # never the whole list
    assert [label for label, _ in arts.versions.options] == ["v4  (latest)", "v3"]
    arts.next_button.click()
    assert [label for label, _ in arts.versions.options] == ["v2", "v1"] and arts.page_label.value == "3–4 of 5"
    arts.versions.value = 1
    assert arts.current.id == "p/ckpt:v1" and "p/ckpt:v1" in arts.details.value
    arts.next_button.click()
    assert [label for label, _ in arts.versions.options] == ["v0"] and arts.next_button.disabled


def test_runs_view_filters_and_sorts_on_config_and_summary(api: Any) -> None:
    from nb_registry.widgets import RegistryBrowser

    browser = RegistryBrowser(api)
    runs = browser.runs
    browser.selected_index = 2
    assert len(runs.rows) == 5 and runs.project.value == "p"
    assert runs.metric.value == "summary.acc"  # a metric is preselected for Compare
    runs.filter_text.value = "config.lr<0.05"
    assert sorted(r["name"] for r in runs.rows) == ["train-1", "train-2"]
    runs.filter_text.value = "lr>=0.01 and opt=adam"  # bare names mean config.*
    assert [r["name"] for r in runs.rows] == ["train-1"]
    runs.filter_text.value = "job_type=train"
    runs.sort.value = "-summary.acc"
    assert [r["name"] for r in runs.rows] == ["train-2", "train-1", "train-0"]
    runs.sort.value = "config.lr"
    assert [r["name"] for r in runs.rows] == ["train-2", "train-1", "train-0"]
    assert "train-2" in runs.table.value and "Σ acc" in runs.table.value
    runs.filter_text.value = "config.nope<1"
    assert "✖" in runs.status.value and "config.lr" in runs.status.value  # says which fields exist
    runs.filter_text.value = "config.lr <<< 1"
    assert "✖" in runs.status.value


def test_comparing_runs_draws_history_and_parallel_coordinates(api: Any) -> None:
    from nb_registry.widgets import RegistryBrowser
    from nb_registry.widgets.charts import PLOTLY_MIME

    browser = RegistryBrowser(api)
    browser.selected_index = 2
    runs = browser.runs
    runs.filter_text.value = "job_type=train"
    runs.selection.value = tuple(v for _, v in runs.selection.options[:2])
    runs.metric.value = "summary.acc"
    runs.compare_button.click()
    hist = runs.history_chart.figure
    assert len(hist.data) == 2 and all(len(t.y) == 4 for t in hist.data)
    runs.selection.value = ()
    runs.compare_button.click()  # none selected: every run shown
    par = runs.parcoords_chart.figure.data[0]
    assert par.type == "parcoords" and [d.label for d in par.dimensions] == ["lr", "opt", "acc"]
    assert sorted(par.dimensions[0].values) == [-3.0, -2.0, -1.0] and list(par.dimensions[0].ticktext) == ["0.001", "0.01", "0.1"]
    assert list(par.dimensions[1].ticktext) == ["adam", "sgd"]
    bundle = runs.parcoords_chart.outputs[0]["data"]
    assert bundle[PLOTLY_MIME]["data"][0]["type"] == "parcoords" and "text/plain" in bundle


def test_parse_filter_language() -> None:
    from nb_registry.widgets.run_panel import parse_filter

    assert parse_filter("config.lr<0.01") == {"config.lr": {"$lt": 0.01}}
    assert parse_filter("lr<=1e-3, summary.acc >= 0.9", ["config.lr", "summary.acc"]) == {
        "$and": [{"config.lr": {"$lte": 0.001}}, {"summary.acc": {"$gte": 0.9}}]}
    assert parse_filter("state = 'finished' and tags~baseline") == {
        "$and": [{"state": {"$eq": "finished"}}, {"tags": {"$contains": "baseline"}}]}
    assert parse_filter("job_type in [train, sweep]") == {"job_type": {"$in": ["train", "sweep"]}}
    assert parse_filter("!summary.acc") == {"summary.acc": {"$exists": False}}
    assert parse_filter("config.flag = true, name =~ ^t") == {
        "$and": [{"config.flag": {"$eq": True}}, {"name": {"$regex": "^t"}}]}
    assert parse_filter("  ") == {}
    with pytest.raises(ValueError):
        parse_filter("config.lr <")


def test_progress_bar_as_a_callback() -> None:
    from nb_registry.widgets import ProgressBar

    bar = ProgressBar("download", interval=10.0)
    bar(0, 4 * 2**30)
    assert bar.bar.value == 0 and "4.0 GiB" in bar.label.value
    bar(2**30, 4 * 2**30)  # throttled: no redraw within the interval
    assert bar.bar.value == 0
    bar(4 * 2**30, 4 * 2**30)  # the end always redraws
    assert bar.bar.value == bar.bar.max and bar.bar.bar_style == "success" and "done" in bar.label.value
    unknown = ProgressBar(interval=0)
    unknown(512, None)
    assert "512 B" in unknown.label.value
