"""The committed notebooks as a reader first meets them, in headless Chromium: opened from disk in JupyterLab, untrusted
and not run, and converted to HTML by nbconvert as nbviewer does. Every lineage graph is a picture that loaded (an
``<img>`` with a size), never a run-on paragraph of its labels; the registry browser's summary is tables whose cells
sit side by side."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labharness import chromium_page, require_chromium, settings_dir  # noqa: E402

from nb_registry.demo import free_port, lab_command, wait_for_server  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT_ROOT / "notebooks"
# each walkthrough: a %lineage cell, and a node label that would show as text if the picture were a sanitized <svg>
CASES = {"ensemble_walkthrough.ipynb": ("%lineage ensemble:latest", "assemble-ensemble"),
         "model_registry_walkthrough.ipynb": ("%lineage model-registry/anomaly_classifier:v0 --both", "nightly-scoring"),
         "experiment_tracking.ipynb": ("%lineage model-registry/moons_classifier:staging", "moons-classifier:v0")}

# What a cell's outputs show: each picture (loaded size and drawn size), the visible text, and each table's first
# two rows as cell boxes.
OUTPUTS_JS = """(cell) => {
  const area = cell.querySelector('.jp-OutputArea') || cell;
  const visible = e => e.offsetParent !== null && e.getBoundingClientRect().width > 0;
  return {
    pictures: [...area.querySelectorAll('img.nbr-lineage-picture')].filter(visible).map(i => ({
      natural: [i.naturalWidth, i.naturalHeight], shown: [i.clientWidth, i.clientHeight], complete: i.complete})),
    text: area.innerText,
    svgs: area.querySelectorAll('svg g.node').length,
    tables: [...area.querySelectorAll('table')].filter(visible).map(t => ({
      display: getComputedStyle(t).display,
      cells: [...t.querySelectorAll('td, th')].map(c => c.textContent.trim()),
      rows: [...t.querySelectorAll('tr')].slice(0, 2).map(r => [...r.children].map(c => {
        const b = c.getBoundingClientRect(); return {text: c.textContent.trim(), left: b.left, right: b.right, top: b.top};
      }))})),
  };
}"""


@pytest.fixture(scope="module")
def untrusted_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """JupyterLab on a copy of the committed notebooks, for a user who never trusted them (a fresh HOME, so a fresh
    notebook-signature database)."""
    require_chromium()
    base = tmp_path_factory.mktemp("saved")
    folder = base / "notebooks"
    shutil.copytree(NOTEBOOKS, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (base / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NB_REGISTRY_", "JUPYTER_", "JPY_"))}
    env.update(HOME=str(base / "home"), NB_REGISTRY_ROOT=str(base / "registry"),
               JUPYTERLAB_SETTINGS_DIR=str(settings_dir(base)), JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"))
    port, token = free_port(0), "nbr-saved-token"
    log = open(base / "server.log", "w")
    proc = subprocess.Popen(lab_command(folder, port, token, extra=["--ServerApp.log_level=WARN"]), stdout=log,
                            stderr=subprocess.STDOUT, env=env, cwd=base, start_new_session=True)
    try:
        wait_for_server(port, token, proc, timeout=90)
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "folder": folder, "base": base}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _code_cell(page: Any, source: str) -> Any:
    cell = page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea-editor", has_text=re.compile("^" + re.escape(source))))
    cell.first.scroll_into_view_if_needed(timeout=30_000)
    return cell.first


def _wait_pictures(page: Any, cell: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        shown = cell.evaluate(OUTPUTS_JS)
        if (shown["pictures"] and all(p["complete"] and p["natural"][0] > 0 for p in shown["pictures"])) \
                or time.monotonic() > deadline:
            return shown
        page.wait_for_timeout(200)


def assert_graph_is_a_picture(shown: dict[str, Any], hidden_label: str, where: str) -> None:
    assert shown["pictures"], f"{where}: no picture of the graph; the output reads: {shown['text'][:300]!r}"
    for p in shown["pictures"]:
        assert p["natural"][0] > 100 and p["natural"][1] > 50, f"{where}: the picture did not load: {p}"
        assert p["shown"][0] > 100 and p["shown"][1] > 50, f"{where}: the picture is not drawn: {p}"
    assert hidden_label not in shown["text"], f"{where}: node labels as text (a sanitized SVG): {shown['text'][:300]!r}"


def assert_tables(shown: dict[str, Any], needle: str, where: str) -> None:
    tables = shown["tables"]
    assert tables, f"{where}: no table; the registry summary reads: {shown['text'][:300]!r}"
    for t in tables:
        assert t["display"] == "table", (where, t)
        header, first = t["rows"][0], t["rows"][1] if len(t["rows"]) > 1 else None
        assert len(header) >= 2 and first and len(first) == len(header), (where, t)
        for row in (header, first):  # cells side by side on one line, not a flow of text
            assert all(a["right"] <= b["left"] + 1 and abs(a["top"] - b["top"]) < 2 for a, b in zip(row, row[1:])), (where, row)
    assert any(needle in c for t in tables for c in t["cells"]), (where, needle, tables)


@pytest.mark.parametrize("name", list(CASES))
def test_untrusted_notebook_in_jupyterlab_shows_graphs_as_pictures_and_the_browser_as_tables(
        untrusted_lab: dict[str, Any], name: str, tmp_path: Path) -> None:
    lineage_source, hidden_label = CASES[name]
    with chromium_page({"width": 1400, "height": 1000}) as (page, _errors):
        page.goto(f"{untrusted_lab['url']}/lab/tree/{name}?token={untrusted_lab['token']}&reset")
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
        try:
            cell = _code_cell(page, lineage_source)
            shown = _wait_pictures(page, cell)
            assert shown["svgs"] == 0 and "Cannot display" not in shown["text"]
            assert not cell.locator("canvas").count(), "an untrusted notebook draws no widget"
            assert_graph_is_a_picture(shown, hidden_label, f"{name} in JupyterLab, untrusted")
            browser = _code_cell(page, "%registry" if name != "experiment_tracking.ipynb" else "browser = %registry")
            summary = browser.evaluate(OUTPUTS_JS)
            assert_tables(summary, "moons_classifier" if "tracking" in name else "_", f"{name} in JupyterLab, untrusted")
            if "tracking" in name:  # opened on its Runs view: the summary has the runs table too
                assert_tables(summary, "trial-00", f"{name} in JupyterLab, untrusted")
        except AssertionError:
            page.screenshot(path=str(tmp_path / "untrusted.png"))
            raise


@pytest.mark.parametrize("name", list(CASES))
def test_nbconvert_html_shows_graphs_as_pictures_and_the_browser_as_tables(name: str, tmp_path: Path) -> None:
    """``jupyter nbconvert --to html``, nbviewer's renderer, read offline: the widgets' JavaScript (from a CDN) never
    loads, so what shows is the static outputs."""
    require_chromium()
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(NOTEBOOKS / name))
    page_file = tmp_path / f"{Path(name).stem}.html"
    page_file.write_text(body, encoding="utf-8")
    lineage_source, hidden_label = CASES[name]
    with chromium_page({"width": 1400, "height": 1000}) as (page, _errors):
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                   else route.abort())  # offline: nothing from the network
        page.goto(page_file.as_uri())
        cells = page.locator(".jp-CodeCell")
        index = next(i for i, src in enumerate(cells.locator(".jp-InputArea-editor").all_inner_texts())
                     if src.strip().startswith(lineage_source))
        cell = cells.nth(index)
        cell.scroll_into_view_if_needed()
        shown = _wait_pictures(page, cell)
        assert_graph_is_a_picture(shown, hidden_label, f"{name} through nbconvert")
        browser_index = next(i for i, src in enumerate(cells.locator(".jp-InputArea-editor").all_inner_texts())
                             if re.match(r"^(browser = )?%registry\s*($|\n)", src.strip()))
        assert_tables(cells.nth(browser_index).evaluate(OUTPUTS_JS), "_", f"{name} through nbconvert")
