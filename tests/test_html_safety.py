"""Stored XSS: a registry whose every stored field is hostile, rendered by every HTML view in headless
Chromium. No script may run (no flag set, no dialog) and the hostile text must show as text.

Fields the API validates (version numbers, file counts, aliases, tags, automation records ...) are
written into the registry files directly, as someone with write access to a shared registry could:
:func:`craft` is the one place that knows the file layout.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from conftest import make_file
from labharness import chromium_page, require_chromium

import nb_registry as nbr

PKG = Path(nbr.__file__).parent


def payload(tag: str) -> str:
    """Hostile text: a marker, then markup that sets ``window.__pwned`` (and opens a dialog) if it is parsed."""
    return (f"{tag}<img src=x onerror=\"window.__pwned='{tag}';alert(1)\"><script>window.__pwned='{tag}'</script>"
            f"'\"><svg onload=\"window.__pwned='{tag}'\"></svg>")


def craft(root: str, rel: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit a registry metadata file in place (``<root>/meta/<rel>``, a TinyDB JSON document)."""
    path = Path(root, "meta", rel)
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _first(table: dict[str, Any]) -> dict[str, Any]:
    return table[sorted(table, key=int)[0]]


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, Any]:
    root = str(tmp_path / "reg")
    card = ("# Card " + payload("card-h1") + "\n\n" + payload("card-p") + "\n\n<script>window.__pwned='card-raw'</script>\n\n"
            "[click me](javascript:window.__pwned='card-link') ![img](x\" onerror=\"window.__pwned='card-img')\n")
    with nbr.init(root=root, project="p", job_type="train", name=payload("run-name"),
                  config={payload("cfg-key"): payload("cfg-val"), "lr": 0.1}) as run:
        run.log({payload("sum-key"): 1.0, "acc": 0.5})
        run.summary[payload("sum-key2")] = payload("sum-val")  # type: ignore[index]
        art = nbr.Artifact("clf", type="model", description=payload("desc"),
                           metadata={payload("meta-key"): payload("meta-val"), "nested": {payload("nest-key"): payload("nest-val")}})
        art.add_file(make_file(tmp_path / "w.bin", "weights"))
        logged = run.log_artifact(art, aliases=["best"])
        run.link_artifact(logged, "churn", aliases=["staging"])
    api = nbr.Api(root=root, project="p")
    api.registered_model("churn").update(description=payload("rm-desc"), model_card=card)

    def version_doc(data: dict[str, Any]) -> None:
        doc = _first(data["versions"])
        doc.update(created_by=payload("created-by"), created_at=payload("created-at"),
                   digest=payload("digest"), type=payload("type"))
        data["collection"]["1"]["aliases"][payload("alias")] = doc["version"]

    craft(root, "collections/p/clf.json", version_doc)

    def model_doc(data: dict[str, Any]) -> None:
        model = data["model"]["1"]
        model["tags"] = [payload("tag")]
        model["aliases"][payload("rm-alias")] = 0
        v = _first(data["versions"])
        v.update(linked_at=payload("linked-at"), linked_by=payload("linked-by"))
        # (a version number that is not a number is damage the store refuses to read: tests/test_damaged_metadata.py)
        data["events"] = {"1": {"id": 1, "kind": "alias", "model": "churn", "alias": payload("auto-alias"), "from": None,
                                "to": 0, "artifact": "p/clf:v0", "by": payload("auto-by"), "at": "2026-01-01T00:00:00+00:00"}}
        data["deliveries"] = {"1": {"event": 1, "hook": payload("auto-hook"), "status": payload("auto-status"),
                                    "attempts": 1, "at": "2026-01-01T00:00:01+00:00", "detail": payload("auto-out"),
                                    "worker": payload("auto-worker"), "model": "churn"}}

    craft(root, "models/churn.json", model_doc)
    run_file = next(Path(root, "meta", "runs", "p").glob("*.json"))

    def run_doc(data: dict[str, Any]) -> None:
        _first(data["run"]).update(job_type=payload("job-type"), state=payload("state"))

    craft(root, f"runs/p/{run_file.name}", run_doc)
    return {"root": root, "api": nbr.Api(root=root, project="p")}


def _widget_html(widget: Any) -> Iterator[str]:
    """Every HTML value shown inside a widget tree (``ipywidgets.HTML`` and friends)."""
    import ipywidgets as W

    if isinstance(widget, (W.HTML, W.HTMLMath)):
        yield widget.value
    for child in getattr(widget, "children", ()) or ():
        yield from _widget_html(child)


def _views(api: Any) -> dict[str, tuple[str, list[str]]]:
    """name -> (HTML, the payload tags that view must show as text)."""
    from nb_registry.display import artifact_html, registered_model_html, run_html
    from nb_registry.lineage_html import lineage_to_html, lineage_to_svg
    from nb_registry.widgets.artifact_panel import ArtifactsPanel
    from nb_registry.widgets.charts import _static_html, metric_history_figure
    from nb_registry.widgets.lineage_view import details_html
    from nb_registry.widgets.model_panel import ModelsPanel
    from nb_registry.widgets.panels import browser_summary_html
    from nb_registry.widgets.run_panel import RunsPanel

    art = api.artifact("p/clf:v0")
    rm = api.registered_model("churn")
    run = api.run(art.producer_run)
    graph = api.lineage("p/clf:v0", direction="both")
    models = ModelsPanel(api)
    models.show("churn")
    artifacts = ArtifactsPanel(api)
    artifacts.load()
    artifacts.show_version(0)
    runs = RunsPanel(api)
    runs.load()
    fig = metric_history_figure({str(run.name): run.history()}, "acc")
    return {
        "artifact _repr_html_": (artifact_html(art), ["desc", "meta-key", "meta-val", "created-by", "created-at",
                                                     "digest", "type", "alias"]),
        "run _repr_html_": (run_html(run), ["run-name", "cfg-key", "cfg-val", "sum-key", "job-type", "state"]),
        "registered model _repr_html_": (registered_model_html(rm), ["rm-desc", "tag", "rm-alias", "linked-at", "auto-hook",
                                                                     "auto-alias", "auto-status", "auto-out", "card-h1"]),
        "runs table _repr_html_": (api.runs("p")._repr_html_(), ["run-name", "cfg-val", "job-type"]),
        "browser static view": (browser_summary_html(api), ["tag", "rm-alias"]),
        "lineage svg": (lineage_to_svg(graph), ["run-name"]),
        "lineage page": (lineage_to_html(graph), ["run-name"]),
        "lineage details": ("".join(details_html(n) for n in graph["nodes"]), ["run-name", "type"]),
        "models panel": ("".join(_widget_html(models)), ["rm-desc", "tag", "rm-alias", "card-h1", "card-p", "linked-at"]),
        "artifacts panel": ("".join(_widget_html(artifacts)), ["desc", "meta-key", "meta-val", "created-by", "type",
                                                               "alias", "run-name"]),
        "runs panel": ("".join(_widget_html(runs)), ["run-name", "cfg-val", "job-type"]),
        "chart static view": (_static_html(fig, str(run.name)), ["run-name"]),
    }


def _page(body: str) -> str:
    if body.lstrip().lower().startswith("<!doctype"):
        head, _, rest = body.partition("<body>")
        return f"{head}<body>{rest.replace('</body>', _SENTINEL + '</body>')}"
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}{_SENTINEL}</body></html>"


# an image that fails like the hostile ones do: once its handler has run, theirs would have too
_SENTINEL = "<img src=x onerror=\"window.__sentinel=1\">"


def _render(page: Any, path: Path, html: str, dialogs: list[str]) -> dict[str, Any]:
    path.write_text(_page(html), encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_function("window.__sentinel === 1", timeout=10000)
    for node in page.query_selector_all("g.node"):  # the lineage page's own script shows details on click
        node.click()
    page.wait_for_timeout(150)
    return {"pwned": page.evaluate("window.__pwned === undefined ? null : String(window.__pwned)"),
            "text": page.inner_text("body"),
            "js_links": page.eval_on_selector_all("a", "els => els.map(e => e.href).filter(h => /^javascript:/i.test(h))"),
            "dialogs": list(dialogs)}


def test_no_stored_value_runs_script_in_any_view(hostile: dict[str, Any], tmp_path: Path) -> None:
    require_chromium()
    views = _views(hostile["api"])
    with chromium_page({"width": 1200, "height": 900}) as (page, errors):
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        # the detector works: the same payload, not escaped, is caught
        control = _render(page, tmp_path / "control.html", payload("control"), dialogs)
        assert control["pwned"] == "control" and control["dialogs"]
        dialogs.clear()
        failures = []
        for i, (name, (html, tags)) in enumerate(views.items()):
            seen = _render(page, tmp_path / f"view{i}.html", html, dialogs)
            if seen["pwned"] or seen["dialogs"] or seen["js_links"]:
                failures.append(f"{name}: script ran ({seen['pwned']!r}, dialogs {seen['dialogs']}, links {seen['js_links']})")
            missing = [t for t in tags if f"{t}<img src=x" not in seen["text"] and f"{t}<img" not in seen["text"]]
            if missing:
                failures.append(f"{name}: hostile text of {missing} not shown as text")
            dialogs.clear()
        assert not failures, "\n".join(failures)
        assert not errors, errors


def test_model_card_markdown_keeps_no_raw_html_or_script_links(hostile: dict[str, Any]) -> None:
    from nb_registry.widgets._html import markdown_to_html

    out = markdown_to_html(hostile["api"].registered_model("churn").model_card)
    assert "<script" not in out and "<img src=x onerror" not in out and "javascript:" not in out


# -- the one place: no HTML is built outside nb_registry.htmlsafe ------------------------------------
HTML_MODULES = ["display.py", "lineage_html.py", "table.py", *(f"widgets/{p.name}" for p in sorted((PKG / "widgets").glob("*.py")))]
_TAG = re.compile(r"<(/?[a-z][a-z0-9]*)(?=[\s>/])|</")


def test_html_is_built_only_with_the_escaping_templates() -> None:
    """An f-string, ``%`` or ``.format`` that writes a tag and inserts a value is how a raw value reaches
    HTML: the HTML producers build tags only with ``htmlsafe.h`` (and never call ``html.escape`` themselves)."""
    problems = []
    for rel in HTML_MODULES:
        tree = ast.parse((PKG / rel).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if _TAG.search(text):
                    problems.append(f"{rel}:{node.lineno}: f-string builds HTML")
            elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
                for side in (node.left, node.right):
                    if isinstance(side, ast.Constant) and isinstance(side.value, str) and _TAG.search(side.value):
                        problems.append(f"{rel}:{node.lineno}: HTML built with {type(node.op).__name__}")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
                  and isinstance(node.func.value, ast.Constant) and _TAG.search(str(node.func.value.value))):
                problems.append(f"{rel}:{node.lineno}: HTML built with str.format")
            elif isinstance(node, ast.Attribute) and node.attr == "escape" and getattr(node.value, "id", "") == "html":
                problems.append(f"{rel}:{node.lineno}: html.escape outside nb_registry.htmlsafe")
    assert not problems, "\n".join(problems)


def test_markup_rules() -> None:
    from nb_registry.htmlsafe import Markup, esc, h, join, trusted

    assert h("<b>{}</b>", "<i>") == "<b>&lt;i&gt;</b>"
    assert h("<a title='{}'>", "x' onmouseover='y") == "<a title='x&#x27; onmouseover=&#x27;y'>"
    assert h("<td>{}</td>", h("<code>{}</code>", "<")) == "<td><code>&lt;</code></td>"
    assert h("{} {}", None, 3) == " 3"
    assert isinstance(h("<b>{}</b>", 1) + "<x>", Markup) and h("<b>") + "<x>" == "<b>&lt;x&gt;"
    assert "<x>" + h("<b>") == "&lt;x&gt;<b>"
    assert join(["<a>", trusted("<b>")], ", ") == "&lt;a&gt;, <b>"
    assert esc(trusted("<b>")) == "<b>" and esc({"k": "<"}) == "{&#x27;k&#x27;: &#x27;&lt;&#x27;}"
