"""The Model Registry sidebar in a real JupyterLab, driven by headless Chromium, as a person would use it.

A registry is prepared in a temporary folder with the Python API (two versions of ``p/m`` linked to the
registered model ``churn``, ``staging`` on v0, a model card). JupyterLab is started on 127.0.0.1 with a token,
``NB_REGISTRY_ROOT`` pointing at that registry and the server extension enabled on the command line. The lab
extension is the one built into ``nb_registry/labextension`` (what the wheel ships): a temporary ``JUPYTER_PATH``
entry links it as ``labextensions/nb-registry``, so the test sees the current build whether or not the package
was installed. JupyterLab's "news" toast is turned off through a temporary ``JUPYTERLAB_SETTINGS_DIR``.

Debian's Chromium (``/usr/bin/chromium``) is driven by Playwright-python. The test opens the sidebar, sees the
registered model, opens its page (rendered model card, versions, alias history), moves ``staging`` to v1 and
checks through the Python API that the alias moved and the history recorded it. Then: moving ``production``
asks for confirmation (Cancel changes nothing, confirming moves it), "Insert into notebook" adds the ``%use``
cell, and a change made from Python shows up in the sidebar by itself (the frontend polls the status generation).
With the server's automation worker turned on (``--NbRegistry.serve_automations=True``), the model page lists the
owner's hook and, after production is moved in the page, its delivery with its status, all hostile text as text.
Screenshots go to the test's tmp folder; the sidebar one is copied to ``docs/screenshot-labextension.png`` when
that file is missing (or always, with ``NB_REGISTRY_UPDATE_SCREENSHOT=1``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from labharness import (  # noqa: E402
    chromium_page,
    jupyter_path,
    require_built_extension,
    require_chromium,
    settings_dir,
)

from nb_registry.demo import free_port, lab_command, wait_for_server  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CARD = "# Churn classifier\n\nPredicts **churn** from account activity.\n\n- trained on `churn-data`\n"
NOTEBOOK = "use_model.ipynb"


def _prepare_registry(root: Path) -> None:
    """Two versions of ``p/m`` linked to ``churn`` (``staging`` on v0), with tags and a model card."""
    import nb_registry as nbr

    for i, acc in enumerate([0.81, 0.86]):
        run = nbr.init(root=str(root), project="p", job_type="train", config={"lr": 0.01 * (i + 1)})
        run.log({"acc": acc})
        art = nbr.Artifact("m", type="model", metadata={"val_acc": acc})
        with art.new_file("model.txt") as f:
            f.write(f"weights {i}")
        logged = run.log_artifact(art)
        run.link_artifact(logged, "churn", aliases=["staging"] if i == 0 else [])
        run.finish()
    nbr.Api(root=str(root)).registered_model("churn").update(
        description="Predicts churn", model_card=CARD, tags=["tabular"])
    reg = nbr.Registry(str(root))
    for project, name in (("x-y", "z"), ("x", "y-z")):  # "x-y" + "z" and "x" + "y-z": pages must not be confused
        art = nbr.Artifact(name, type="dataset")
        with art.new_file("data.txt") as f:
            f.write(f"{project}/{name}")
        reg.log(art, project=project)


def _write_notebook(path: Path) -> None:
    """A notebook with a kernelspec (without one, JupyterLab asks for a kernel in a dialog)."""
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                   "source": ["x = 1"]}],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[dict[str, Any]]:
    yield from _lab(tmp_path)


def _lab(tmp_path: Path, extra: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """JupyterLab on a prepared registry; the server owner's automation configuration is ``tmp/config``."""
    require_chromium()
    require_built_extension()
    registry = tmp_path / "registry"
    _prepare_registry(registry)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _write_notebook(notebooks / NOTEBOOK)
    env = dict(os.environ, NB_REGISTRY_ROOT=str(registry), NB_REGISTRY_CACHE=str(tmp_path / "cache"),
               NB_REGISTRY_CONFIG=str(tmp_path / "config"),
               JUPYTER_PATH=os.pathsep.join(p for p in [str(jupyter_path(tmp_path)), os.environ.get("JUPYTER_PATH", "")] if p),
               JUPYTERLAB_SETTINGS_DIR=str(settings_dir(tmp_path)), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               PYTHONPATH=os.pathsep.join(p for p in [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")] if p))
    env.pop("NB_REGISTRY_PROJECT", None)
    port, token = free_port(0), "nbr-labext-token"
    cmd = lab_command(notebooks, port, token, extra=["--ServerApp.jpserver_extensions=nb_registry=True", *extra])
    started = time.monotonic()
    with open(tmp_path / "server.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
                                start_new_session=True)
        try:
            wait_for_server(port, token, proc, timeout=60)
            print(f"\nJupyterLab up in {time.monotonic() - started:.1f} s on port {port}")
            yield {"url": f"http://127.0.0.1:{port}", "token": token, "registry": registry, "tmp": tmp_path}
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


def _model(registry: Path) -> Any:
    import nb_registry as nbr

    return nbr.Api(root=str(registry)).registered_model("churn")


def test_sidebar_moves_an_alias_and_the_registry_records_it(lab: dict[str, Any]) -> None:
    shots = lab["tmp"]
    t: dict[str, float] = {}
    with chromium_page({"width": 1400, "height": 900}) as (page, errors):
        t0 = time.monotonic()
        page.goto(f"{lab['url']}/lab/tree/{NOTEBOOK}?token={lab['token']}&reset")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=30_000)
        t["page"] = time.monotonic() - t0

        # The sidebar lists the registered model with its alias, tag and version count.
        page.locator(".jp-SideBar [data-id='nb-registry-sidebar']").click()
        row = page.locator("[data-testid=nbr-sidebar] [data-testid=nbr-model-row][data-name=churn]")
        row.wait_for(timeout=10_000)
        row_text = row.inner_text()
        assert "staging: v0" in row_text and "tabular" in row_text and "2 versions" in row_text, row_text

        # The model page: rendered model card, both versions, the alias history so far.
        row.click()
        model_page = page.locator("[data-testid=nbr-model-page][data-name=churn]")
        model_page.locator("[data-testid=nbr-versions-table] tr.nbr-version-row").nth(1).wait_for(timeout=10_000)
        card = model_page.locator("[data-testid=nbr-model-card]")
        card.locator("h1", has_text="Churn classifier").wait_for(timeout=10_000)
        assert card.locator("strong", has_text="churn").count() == 1, "the Markdown is rendered, not shown raw"
        assert model_page.locator("[data-testid=nbr-history-table] tr.nbr-history-row").count() == 1
        automations = model_page.locator("[data-testid=nbr-automations]").inner_text()
        assert "No worker runs in this server" in automations and "None of your hooks" in automations, automations

        # Move staging to v1.
        t1 = time.monotonic()
        model_page.locator("[data-testid=nbr-alias-select]").select_option("staging")
        model_page.locator("[data-testid=nbr-version-select]").select_option("v1")
        model_page.locator("[data-testid=nbr-move-alias]").click()
        model_page.locator("[data-testid=nbr-model-aliases]", has_text="staging: v1").wait_for(timeout=10_000)
        model_page.locator("[data-testid=nbr-history-table] tr.nbr-history-row").nth(1).wait_for(timeout=10_000)
        row.filter(has_text="staging: v1").wait_for(timeout=10_000)  # the sidebar follows at once
        t["move"] = time.monotonic() - t1
        page.screenshot(path=str(shots / "labextension-sidebar.png"))

        # The registry recorded it, through the Python API.
        moved = _model(lab["registry"])
        assert moved.aliases["staging"] == 1
        last = moved.history()[-1]
        assert (last["alias"], last["from"], last["to"]) == ("staging", 0, 1), moved.history()
        assert len(moved.history("staging")) == 2

        # production asks first: Cancel changes nothing, confirming moves it.
        model_page.locator("[data-testid=nbr-alias-select]").select_option("production")
        model_page.locator("[data-testid=nbr-version-select]").select_option("v1")
        model_page.locator("[data-testid=nbr-move-alias]").click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=5_000)
        assert "production" in dialog.inner_text()
        page.screenshot(path=str(shots / "labextension-confirm.png"))
        dialog.locator("button", has_text="Cancel").click()
        dialog.wait_for(state="detached", timeout=5_000)
        assert "production" not in _model(lab["registry"]).aliases
        model_page.locator("[data-testid=nbr-move-alias]").click()
        dialog.locator("button.jp-mod-warn").click()
        model_page.locator("[data-testid=nbr-model-aliases]", has_text="production: v1").wait_for(timeout=10_000)
        assert _model(lab["registry"]).aliases["production"] == 1

        # "Insert into notebook" adds the %use cell to the notebook.
        model_page.locator("[data-testid=nbr-use-select]").select_option("production")
        model_page.locator("[data-testid=nbr-insert-use]").click()
        cells = page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor")
        cells.filter(has_text="%use model-registry/churn:production").wait_for(timeout=10_000)
        assert [c.strip() for c in cells.all_inner_texts()] == ["x = 1", "%use model-registry/churn:production"]

        # A change made elsewhere (here: Python) shows up by itself, through the status poll.
        t2 = time.monotonic()
        _model(lab["registry"]).set_alias("staging", "v0")
        row.filter(has_text="staging: v0").wait_for(timeout=15_000)
        t["poll"] = time.monotonic() - t2
        page.screenshot(path=str(shots / "labextension-notebook.png"))

    print(f"page load {t['page']:.1f} s; alias move shown {t['move'] * 1000:.0f} ms; "
          f"outside change shown after {t['poll']:.1f} s; screenshots in {shots}")
    docs = PROJECT_ROOT / "docs" / "screenshot-labextension.png"
    if not docs.exists() or os.environ.get("NB_REGISTRY_UPDATE_SCREENSHOT") == "1":
        docs.parent.mkdir(exist_ok=True)
        shutil.copy2(shots / "labextension-sidebar.png", docs)
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_each_collection_has_its_own_page_and_a_card_form_does_not_submit(lab: dict[str, Any]) -> None:
    import nb_registry as nbr

    _model(lab["registry"]).update(model_card=CARD + "\n<form><button id='card-submit'>Details</button></form>\n")
    with chromium_page({"width": 1400, "height": 900}) as (page, errors):
        page.goto(f"{lab['url']}/lab/tree/{NOTEBOOK}?token={lab['token']}&reset")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=30_000)
        page.locator(".jp-SideBar [data-id='nb-registry-sidebar']").click()
        page.locator("[data-testid=nbr-tab-artifacts]").click()
        for spec in ("x-y/z", "x/y-z"):
            page.locator(f"[data-testid=nbr-collection-row][data-name='{spec}']").click()
            header = page.locator("[data-testid=nbr-collection-page]:visible h2")
            header.filter(has_text=spec).wait_for(timeout=10_000)
        assert page.locator("[data-testid=nbr-collection-page]").count() == 2  # one page each, not one shared

        # an alias set on the visible page lands on that collection, and only there
        visible = page.locator("[data-testid=nbr-collection-page]:visible")
        visible.locator("tr.nbr-artifact-version-row[data-version=v0]").click()
        visible.locator("[data-testid=nbr-artifact-alias]").fill("golden")
        visible.locator("button", has_text="Set alias").click()
        visible.locator("[data-testid=nbr-version-detail]", has_text="golden").wait_for(timeout=10_000)
        reg = nbr.Registry(str(lab["registry"]))
        assert "golden" in reg.artifact("x/y-z:v0").aliases and "golden" not in reg.artifact("x-y/z:v0").aliases

        # a <form> in a model card is inert: clicking its button does not reload JupyterLab
        page.locator("[data-testid=nbr-tab-models]").click()
        page.locator("[data-testid=nbr-model-row][data-name=churn]").click()
        button = page.locator("[data-testid=nbr-model-card] button", has_text="Details")
        button.wait_for(timeout=10_000)
        page.evaluate("window.__nbrStillHere = true")
        url = page.url
        button.click()
        page.wait_for_timeout(1_000)
        assert page.evaluate("window.__nbrStillHere === true") and page.url == url
    assert not errors, f"JavaScript errors on the page: {errors}"


HOSTILE = '<img src=x onerror="window.__nbrPwned=1">'


@pytest.fixture
def lab_with_worker(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """JupyterLab whose server runs an automation worker (its owner turned it on)."""
    yield from _lab(tmp_path, ("--NbRegistry.serve_automations=True", "--NbRegistry.automations_poll=0.3"))


def test_model_page_shows_your_hooks_deliveries_and_version_tags_as_text(lab_with_worker: dict[str, Any]) -> None:
    """A hook of the owner's configuration (its name hostile HTML) reacts to production; moving production in the
    page makes the server's worker run it, and the page lists the hook and the delivery with its status; the hook
    name and the delivery's detail (the hook's output, also hostile HTML) show as text. A version tag shows too."""
    from nb_registry.automations import save_hook

    lab = lab_with_worker
    save_hook({"name": f"deploy{HOSTILE}", "model": "churn", "alias": "production",
               "command": f"echo '{HOSTILE}'; echo \"deployed $NB_REGISTRY_VERSION\""},
              str(lab["tmp"] / "config" / "automations.json"))
    _model(lab["registry"]).set_version_tag("v1", "validation_status", "approved")
    with chromium_page({"width": 1400, "height": 1000}) as (page, errors):
        page.goto(f"{lab['url']}/lab/tree/{NOTEBOOK}?token={lab['token']}&reset")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=30_000)
        page.locator(".jp-SideBar [data-id='nb-registry-sidebar']").click()
        page.locator("[data-testid=nbr-sidebar] [data-testid=nbr-model-row][data-name=churn]").click()
        model_page = page.locator("[data-testid=nbr-model-page][data-name=churn]")
        section = model_page.locator("[data-testid=nbr-automations]")
        hook_row = section.locator("[data-testid=nbr-hooks-table] tr.nbr-hook-row")
        hook_row.wait_for(timeout=10_000)
        assert hook_row.count() == 1 and f"deploy{HOSTILE}" in hook_row.inner_text()
        note = section.locator("[data-testid=nbr-automations-note]").inner_text()
        assert "your own configuration" in note and "run only in a worker you start" in note, note
        assert "This server runs one" in note, note
        assert section.locator("[data-testid=nbr-deliveries-empty]").count() == 1

        tags = model_page.locator("tr.nbr-version-row[data-version=v1] [data-testid=nbr-version-tags]")
        assert tags.inner_text().strip() == "validation_status=approved"
        assert model_page.locator("tr.nbr-version-row[data-version=v0] [data-testid=nbr-version-tags]").inner_text().strip() == ""

        # move production in the page; the server's worker delivers, and the page shows it by itself
        model_page.locator("[data-testid=nbr-alias-select]").select_option("production")
        model_page.locator("[data-testid=nbr-version-select]").select_option("v1")
        model_page.locator("[data-testid=nbr-move-alias]").click()
        page.locator(".jp-Dialog button.jp-mod-warn").click()
        delivered = section.locator("[data-testid=nbr-deliveries-table] tr.nbr-delivery-row[data-status=delivered]")
        delivered.wait_for(timeout=30_000)
        row = delivered.inner_text()
        assert f"deploy{HOSTILE}" in row and "production" in row and "→ v1" in row and "delivered" in row, row
        delivered.locator("summary").click()
        output = delivered.locator("pre.nbr-output").inner_text()
        assert HOSTILE in output and "deployed v1" in output, output
        page.wait_for_timeout(500)
        assert model_page.locator("img").count() == 0, "hostile HTML stays text"
        assert page.evaluate("window.__nbrPwned === undefined")
        page.screenshot(path=str(lab["tmp"] / "labextension-automations.png"))
    delivery = _model(lab["registry"]).deliveries()
    assert [(d["status"], d["attempts"]) for d in delivery] == [("delivered", 1)]
    assert not errors, f"JavaScript errors on the page: {errors}"
