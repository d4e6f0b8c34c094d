"""The ensemble walkthrough in a real JupyterLab, driven by headless Chromium, as a person would use it.

The server is the README's main command in its JupyterLab-only form, ``python -m nb_registry.demo --lab``, pointed at a temporary copy of
``notebooks/`` and a temporary registry (``NB_REGISTRY_ROOT``); it listens on 127.0.0.1 with a token. JupyterLab's
"news" toast is turned off through a user-settings file in a temporary ``JUPYTERLAB_SETTINGS_DIR``.
Debian's ``chromium`` (``/usr/bin/chromium``; test tools cannot download their own browser here) is driven by
Playwright-python. The test opens the notebook, waits for the kernel to be idle, clicks Run > Run All Cells and
checks the DOM:

* the registry browser renders, with its tab titles;
* the lineage graph draws: cytoscape's canvases are there and the node layer has painted pixels, and the node
  labels are the expected ones. A canvas has no text to query, so the labels are read from the cytoscape.js
  instance itself: cytoscape keeps it on its container element as ``container._cyreg.cy`` (how cytoscape finds an
  existing instance for a container), which gives the nodes' data and rendered boxes. That is what the user sees,
  not what the kernel sent, and it does not depend on ipycytoscape's internals.

It prints (does not assert) how long the lineage graph took to draw, and saves a screenshot in its tmp dir; when
the test passes it is copied to ``docs/screenshot-notebook.png`` for the README if that file is missing, or always
with ``NB_REGISTRY_UPDATE_SCREENSHOT=1`` (so that a plain test run does not rewrite a tracked file).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from labharness import chromium_page, require_chromium, settings_dir  # noqa: E402
from playwright import sync_api

from nb_registry.demo import free_port, wait_for_server  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT_ROOT / "notebooks"
NOTEBOOK = "ensemble_walkthrough.ipynb"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Every cytoscape.js instance on the page (cytoscape keeps it on its container as ``_cyreg.cy``), with what
# a person would see: node labels and rendered boxes, edge count, and how many pixels each canvas layer painted.
CY_STATE_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('.jp-OutputArea-output div')) {
    const cy = el._cyreg && el._cyreg.cy;
    if (!cy || cy.destroyed()) continue;
    const canvases = [...el.querySelectorAll('canvas')].map(c => {
      let painted = 0;
      try {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
      } catch (e) { painted = -1; }
      return {layer: c.getAttribute('data-id'), width: c.width, height: c.height, painted};
    });
    const cell = el.closest('.jp-CodeCell');
    const src = cell ? cell.querySelector('.jp-InputArea-editor').textContent : '';
    out.push({
      source: src.trim(),
      labels: cy.nodes().map(n => n.data('label')),
      boxes: cy.nodes().map(n => { const b = n.renderedBoundingBox({includeLabels: false}); return [b.x1, b.y1, b.x2, b.y2]; }),
      edges: cy.edges().length,
      width: el.clientWidth, height: el.clientHeight,
      canvases,
    });
  }
  return out;
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``python -m nb_registry.demo`` on a copy of the notebooks: yields the URL it printed and the paths."""
    require_chromium()
    base = tmp_path_factory.mktemp("lab")
    notebooks = base / "notebooks"
    shutil.copytree(NOTEBOOKS, notebooks, ignore=shutil.ignore_patterns("kernel-*", ".ipynb_checkpoints"))
    env = dict(os.environ, NB_REGISTRY_ROOT=str(base / "registry"), NB_REGISTRY_CACHE=str(base / "cache"),
               JUPYTERLAB_SETTINGS_DIR=str(settings_dir(base)), JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
               PYTHONPATH=os.pathsep.join(p for p in [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")] if p))
    env.pop("NB_REGISTRY_PROJECT", None)
    port, token = free_port(0), "nbr-test-token"
    log = open(base / "server.log", "w")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "nb_registry.demo", "--lab", "--notebook-dir", str(notebooks),
                             "--port", str(port), "--token", token],
                            stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=base, start_new_session=True)
    try:
        printed: list[str] = []
        reader = threading.Thread(target=lambda: printed.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
        reader.start()  # keeps the pipe drained
        wait_for_server(port, token, proc, timeout=90)
        deadline = time.monotonic() + 10
        while not any("open " in line for line in printed) and time.monotonic() < deadline:
            time.sleep(0.05)
        m = re.search(r"open\s+(http://\S+)", "".join(printed))
        assert m, f"the demo prints the URL to open; it printed: {''.join(printed)!r}"
        url = m.group(1)
        print(f"\nJupyterLab up in {time.monotonic() - started:.1f} s: {url}")
        yield {"url": url, "port": port, "token": token, "base": base, "registry": base / "registry"}
    finally:
        if proc.poll() is None:
            proc.terminate()  # the demo stops JupyterLab (and its kernels) on SIGTERM
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_the_demo_listens_on_localhost_with_a_token(lab: dict[str, Any]) -> None:
    assert lab["url"] == f"http://127.0.0.1:{lab['port']}/lab/tree/{NOTEBOOK}?token={lab['token']}"
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{lab['port']}/api/contents/{NOTEBOOK}", timeout=10)
    assert e.value.code == 403, "without the token the server refuses"


PROMPTS_JS = "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(p => p.innerText.trim())"
ERRORS_JS = """() => [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                 .map(e => e.innerText.slice(0, 500))"""


def _wait_run_all_done(page: Any, timeout_ms: int, shot: Path) -> None:
    """The last code cell has an execution count, none shows ``[*]`` and the kernel is idle again; fail at once,
    with the error shown, if a cell fails. (JupyterLab does not paint cells out of view: their prompts read as
    empty, so the last cell, which Run All scrolls to, is the one to check.)"""
    try:
        page.wait_for_function(
            f"""() => {{
              if (({ERRORS_JS})().length) return true;
              const prompts = ({PROMPTS_JS})();
              return prompts.length > 0 && /^\\[\\d+\\]:$/.test(prompts[prompts.length - 1])
                && !prompts.includes('[*]:') && /\\| Idle/.test(document.body.innerText);
            }}""", timeout=timeout_ms)
    except sync_api.TimeoutError:
        page.screenshot(path=str(shot))
        pytest.fail(f"Run All did not finish in {timeout_ms / 1000:.0f} s; prompts: {page.evaluate(PROMPTS_JS)}; "
                    f"screenshot {shot}")
    errors = page.evaluate(ERRORS_JS)
    if errors:
        page.screenshot(path=str(shot))
        pytest.fail(f"a cell failed in JupyterLab: {errors}; screenshot {shot}")


# Installed before Run All: notes (performance.now()) when the final DAG's cytoscape instance appears and when its
# node layer first has pixels, checking once per animation frame. Only that graph's node canvas is read.
DRAW_PROBE_JS = """() => {
  const t = window.__nbrDraw = {clicked: performance.now()};
  const find = () => {
    for (const el of document.querySelectorAll('.jp-OutputArea-output div')) {
      const cy = el._cyreg && el._cyreg.cy;
      const cell = cy && el.closest('.jp-CodeCell');
      if (cell && cell.querySelector('.jp-InputArea-editor').textContent.trim().startsWith('%lineage ensemble:latest')) return el;
    }
    return null;
  };
  const tick = () => {
    const el = find();
    if (el) {
      t.created = t.created || performance.now();
      const c = el.querySelector('canvas[data-id="layer2-node"]');
      if (c && c.width && c.height) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 64) if (d[i] > 0) n++;
        if (n > 50) { t.painted = performance.now(); return; }
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def _cell(page: Any, source: str | re.Pattern[str]) -> Any:
    return page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea-editor", has_text=source))


def test_ensemble_walkthrough_in_jupyterlab(lab: dict[str, Any], tmp_path: Path) -> None:
    with chromium_page({"width": 1500, "height": 1000}) as (page, errors):
        t0 = time.monotonic()
        page.goto(lab["url"] + "&reset")
        # Run All before the kernel is there opens a "Select Kernel" dialog: wait for "| Idle" first.
        page.wait_for_function("() => /\\| Idle/.test(document.body.innerText)", timeout=60_000)
        t_idle = time.monotonic()
        page.evaluate(DRAW_PROBE_JS)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        t_run = time.monotonic()

        # The browser panel and the graphs appear as the cells run; wait for the last cell to finish.
        _wait_run_all_done(page, 60_000, tmp_path / "run-all-failed.png")
        t_done = time.monotonic()

        # The final DAG: in view (JupyterLab does not paint cells out of view), drawn, with its labels.
        graph_cell = _cell(page, "%lineage ensemble:latest")
        graph_cell.scroll_into_view_if_needed()
        page.wait_for_function(
            f"""() => ({CY_STATE_JS})().some(g => g.source.startsWith('%lineage ensemble:latest') && g.labels.length >= 9
                    && g.canvases.some(c => c.layer === 'layer2-node' && c.painted > 1000))""", timeout=20_000)
        draw = page.evaluate("() => window.__nbrDraw")
        graphs = page.evaluate(CY_STATE_JS)
        # the static picture saved beside the widget (for viewers without widgets) hides where the widget is drawn
        pictures = graph_cell.evaluate("c => [...c.querySelectorAll('img.nbr-lineage-picture')].map(i => i.offsetParent !== null)")

        # Clicking a node shows its details beside the graph (a round trip through the kernel).
        centre = page.evaluate("""() => {
          for (const el of document.querySelectorAll('.jp-OutputArea-output div')) {
            const cy = el._cyreg && el._cyreg.cy;
            const cell = cy && el.closest('.jp-CodeCell');
            if (!cell || !cell.querySelector('.jp-InputArea-editor').textContent.trim().startsWith('%lineage ensemble:latest')) continue;
            const node = cy.nodes().filter(n => n.data('label').startsWith('m1:v0'))[0];
            const p = node.renderedPosition(), r = el.getBoundingClientRect();
            return {x: r.left + p.x, y: r.top + p.y};
          }
        }""")
        page.mouse.click(centre["x"], centre["y"])
        details = graph_cell.locator(".jp-OutputArea-output .widget-html", has_text="ensemble-walkthrough/m1:v0")
        details.first.wait_for(timeout=10_000)

        # The registry browser renders, with its tabs.
        browser_cell = _cell(page, re.compile(r"^%registry$"))
        browser_cell.scroll_into_view_if_needed()
        tab_titles = [t.strip() for t in browser_cell.locator(".jp-OutputArea-output .lm-TabBar-tabLabel").all_inner_texts()]
        browser_text = "\n".join(browser_cell.locator(".jp-OutputArea-output").all_inner_texts())  # summary (hidden) + widget
        summaries = browser_cell.evaluate("c => [...c.querySelectorAll('.nbr-static')].map(e => e.offsetParent !== null)")

        graph_cell.scroll_into_view_if_needed()
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='filebrowser']").click()  # more room
        page.wait_for_timeout(300)
        shot = tmp_path / "screenshot-notebook.png"
        page.screenshot(path=str(shot))

    drawn = (f"lineage graph: widget created {(draw['created'] - draw['clicked']) / 1000:.2f} s after Run All, "
             f"nodes painted {draw['painted'] - draw['created']:.0f} ms later" if draw.get("painted")
             else "lineage graph: not painted while Run All ran (drawn once scrolled into view)")
    print(f"\npage load to kernel idle {t_idle - t0:.1f} s; run all {t_done - t_run:.1f} s; {drawn}; screenshot {shot}")

    assert not errors, f"JavaScript errors on the page: {errors}"
    assert pictures == [False], f"the live graph's static picture: {pictures} (one, hidden)"
    assert summaries == [False], f"the live browser's static summary: {summaries} (one, hidden)"
    final = next(g for g in graphs if g["source"].startswith("%lineage ensemble:latest"))
    for prefix in ("ensemble:v0", "m1:v0", "m2:v0", "m3:v0", "dataset:v0", "assemble-ensemble", "train-m1", "train-m2",
                   "train-m3", "generate-data"):
        assert any(label.startswith(prefix) for label in final["labels"]), (prefix, final["labels"])
    assert any(label.startswith("m1:v0") and "best" in label for label in final["labels"]), "aliases on the labels"
    assert final["edges"] >= 11
    layers = {c["layer"]: c for c in final["canvases"]}
    assert {"layer0-selectbox", "layer1-drag", "layer2-node"} <= set(layers)
    assert layers["layer2-node"]["width"] > 300 and layers["layer2-node"]["height"] > 200
    boxes = final["boxes"]
    for i, a in enumerate(boxes):  # laid out without overlaps
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], ("overlap", a, b)
    early = next(g for g in graphs if g["source"].startswith("%lineage m1:latest"))
    assert any(label.startswith("m1:v0") for label in early["labels"])

    assert tab_titles[:3] == ["Registered models", "Artifacts", "Runs"], tab_titles
    for name in ("ensemble_all", "ensemble_m1", "ensemble_m2", "ensemble_m3"):
        assert name in browser_text

    docs = PROJECT_ROOT / "docs" / "screenshot-notebook.png"  # for the README, once everything above held
    if not docs.exists() or os.environ.get("NB_REGISTRY_UPDATE_SCREENSHOT") == "1":
        docs.parent.mkdir(exist_ok=True)
        shutil.copy2(shot, docs)


def test_labextension_list_shows_the_widget_extensions_enabled() -> None:
    proc = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True,
                          timeout=60)
    text = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, text
    for ext in ("jupyter-cytoscape", "@jupyter-widgets/jupyterlab-manager"):
        assert re.search(rf"^\s*{re.escape(ext)} v\S+ enabled\s+OK", text, re.M), f"{ext} not enabled:\n{text}"
