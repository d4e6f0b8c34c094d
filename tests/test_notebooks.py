"""The walkthrough notebooks, executed end to end in a real kernel (nbclient), as a user would run them.

Each notebook runs once per module against a fresh registry (``NB_REGISTRY_ROOT`` set in the kernel's
environment); the tests then check what it showed (text, HTML, widget views and their saved state) and what it
left behind, by opening the same registry with :class:`nb_registry.Api`: registered models, aliases, links,
runs, lineage edges, prediction logs. Magic errors are checked in a kernel too: one short paragraph, no
traceback from inside nb_registry. ``python -m nb_registry.demo --headless`` is the README's headless command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import nbclient
import nbformat
import pytest

import nb_registry as nbr  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT_ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOTEBOOK_NAMES = ["ensemble_walkthrough.ipynb", "model_registry_walkthrough.ipynb", "experiment_tracking.ipynb",
                  "training_integrations.ipynb"]


# -- running notebooks -----------------------------------------------------------------------------------
def kernel_env(root: Path) -> dict[str, str]:
    """The kernel's environment: this checkout first on the path, the registry and its cache under ``root``."""
    env = dict(os.environ, NB_REGISTRY_ROOT=str(root / "registry"), NB_REGISTRY_CACHE=str(root / "cache"),
               PYTHONPATH=os.pathsep.join(p for p in [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")] if p))
    env.pop("NB_REGISTRY_PROJECT", None)
    return env


def execute(nb: Any, root: Path, allow_errors: bool = False, path: Path | None = None) -> float:
    """Run every cell of ``nb`` in a fresh python3 kernel whose working directory is ``root/work``; ``path`` is
    given to the kernel as Jupyter's server does (``JPY_SESSION_NAME``): the implicit run is named after it."""
    work = root / "work"
    work.mkdir(parents=True, exist_ok=True)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, store_widget_state=True,
                                     allow_errors=allow_errors, resources={"metadata": {"path": str(work)}})
    started = time.monotonic()
    env = kernel_env(root)
    if path is not None:
        env["JPY_SESSION_NAME"] = str(path)
    client.execute(env=env)
    return time.monotonic() - started


class Executed:
    """An executed notebook and the registry it wrote to."""

    def __init__(self, name: str, root: Path) -> None:
        self.name, self.root = name, root
        self.nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        self.seconds = execute(self.nb, root, path=NOTEBOOKS / name)
        print(f"\n{name}: executed in {self.seconds:.1f} s")

    def api(self, project: str | None = None) -> Any:
        return nbr.Api(root=str(self.root / "registry"), project=project or self.project)

    @property
    def project(self) -> str:
        m = re.search(r'^PROJECT = "([^"]+)"', self.nb.cells[2].source, re.M)
        assert m, "the setup cell sets PROJECT"
        return m.group(1)

    def cell(self, prefix: str) -> Any:
        """The one code cell whose source starts with ``prefix``."""
        found = [c for c in self.nb.cells if c.cell_type == "code" and c.source.lstrip().startswith(prefix)]
        assert len(found) == 1, f"{len(found)} cells start with {prefix!r}"
        return found[0]

    def widget_state(self) -> dict[str, Any]:
        return self.nb.metadata["widgets"][WIDGET_STATE]["state"]


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory: pytest.TempPathFactory) -> Executed:
    return Executed("ensemble_walkthrough.ipynb", tmp_path_factory.mktemp("ensemble"))


@pytest.fixture(scope="module")
def model_registry(tmp_path_factory: pytest.TempPathFactory) -> Executed:
    return Executed("model_registry_walkthrough.ipynb", tmp_path_factory.mktemp("model-registry"))


@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory) -> Executed:
    return Executed("experiment_tracking.ipynb", tmp_path_factory.mktemp("tracking"))


@pytest.fixture(scope="module")
def integrations(tmp_path_factory: pytest.TempPathFactory) -> Executed:
    return Executed("training_integrations.ipynb", tmp_path_factory.mktemp("integrations"))


# -- reading outputs -------------------------------------------------------------------------------------
def output_text(out: Any) -> str:
    """Everything readable in one output: stream text, text/plain and text/html, error name and message."""
    if out.output_type == "stream":
        return out.text
    if out.output_type == "error":
        return f"{out.ename}: {out.evalue}\n" + "\n".join(out.traceback)
    data = out.get("data", {})
    return "\n".join(str(data.get(k, "")) for k in ("text/plain", "text/html", "text/markdown"))


def cell_text(cell: Any) -> str:
    return "\n".join(output_text(o) for o in cell.get("outputs", []))


def widget_views(cell: Any) -> list[str]:
    return [o["data"][WIDGET_VIEW]["model_id"] for o in cell.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]


def reachable(state: dict[str, Any], model_id: str) -> Iterator[dict[str, Any]]:
    """Every saved widget model reachable from ``model_id`` through ``IPY_MODEL_`` references."""
    seen, todo = set(), [model_id]
    while todo:
        mid = todo.pop()
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        model = state[mid]
        yield model
        todo.extend(re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(model["state"])))


def graph_labels(nb: Executed, cell: Any) -> set[str]:
    """The node labels of the ipycytoscape graph a cell displayed, from the saved widget state."""
    views = widget_views(cell)
    assert views, f"no widget view in the output of {cell.source[:40]!r}"
    return {m["state"]["data"]["label"] for v in views for m in reachable(nb.widget_state(), v)
            if m["model_name"] == "NodeModel"}


def widget_strings(nb: Executed, cell: Any) -> str:
    """All saved state of the widgets a cell displayed, as one string (titles, labels, HTML values)."""
    return "\n".join(json.dumps(m["state"]) for v in widget_views(cell) for m in reachable(nb.widget_state(), v))


def assert_clean(nb: Executed) -> None:
    """No cell of an executed walkthrough shows an error or a warning."""
    for cell in nb.nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{cell.source[:60]!r} raised:\n{output_text(out)}"
            if out.output_type == "stream" and out.name == "stderr":
                pytest.fail(f"{cell.source[:60]!r} wrote to stderr:\n{out.text}")


def edges_by_label(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    """Lineage edges as (source, kind, target) with artifact versions as ``name:vN`` and runs by name."""
    names = {n["id"]: (f"{n['name']}:{n['version']}" if n["kind"] == "artifact" else n["name"]) for n in graph["nodes"]}
    return {(names[e["source"]], e["kind"], names[e["target"]]) for e in graph["edges"]}


# -- every notebook --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_notebooks_are_saved_executed_for_static_readers_and_start_with_a_colab_ready_setup(name: str) -> None:
    """Saved with outputs and widget state (GitHub and nbviewer show them), every widget with an HTML fallback."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"], f"{name}: no widget state saved"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), f"{name}: saved without running every cell"
    for cell in code:
        for i, out in enumerate(cell.outputs):
            assert out.output_type != "error", f"{name}: a saved output is an error in {cell.source[:40]!r}"
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {}):  # a fallback in it, or just before it
                static = i > 0 and "nbr-static" in cell.outputs[i - 1].get("data", {}).get("text/html", "")
                assert out.data.get("text/html") or static, f"{name}: widget without an HTML fallback in {cell.source[:40]!r}"
    setup = next(c for c in nb.cells if c.cell_type == "code").source
    assert '"google.colab" in sys.modules' in setup and "enable_custom_widget_manager()" in setup
    assert "%pip install" in setup and "%load_ext nb_registry" in setup
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert nb.metadata["kernelspec"]["name"] == "python3"


MACHINE_PATH = re.compile(r"(?<![\w.])(/tmp/|/var/tmp/|/var/folders/|/private/var/|/home/[^/\s\"']+/|/Users/[^/\s\"']+/|/root/"
                          r"|[A-Za-z]:\\\\Users\\\\)")


def machine_paths(text: str) -> list[str]:
    """Absolute paths of a machine in ``text``: temporary folders, home folders, this checkout."""
    import pwd
    import tempfile

    found = [m.group(0) for m in MACHINE_PATH.finditer(text)]
    for local in {str(PROJECT_ROOT), tempfile.gettempdir(), pwd.getpwuid(os.getuid()).pw_dir}:
        if len(local) > 1 and local in text:
            found.append(local)
    return found


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_saved_notebooks_name_no_machine_paths_and_no_timings(name: str) -> None:
    """What a reader sees was not made on a particular machine: outputs and widget state hold no absolute temporary,
    home or checkout path (the registry shows as ~/.nb_registry), and no cell keeps its execution timings.
    ``bash scripts/regen_notebooks.sh`` saves them so."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            found = machine_paths(json.dumps(out))
            assert not found, f"{name}: the output of {cell.source[:50]!r} names {found}"
        assert "execution" not in cell.metadata, f"{name}: timings saved in {cell.source[:50]!r}"
    found = machine_paths(json.dumps(nb.metadata))
    assert not found, f"{name}: the notebook metadata (widget state) names {found}"
    setup = cell_text(next(c for c in nb.cells if c.cell_type == "code"))
    assert "root ~/.nb_registry," in setup, setup


# -- the ensemble walkthrough ----------------------------------------------------------------------------
def test_ensemble_runs_clean_and_shows_versions_aliases_and_links(ensemble: Executed) -> None:
    assert_clean(ensemble)
    assert "ensemble-walkthrough" in cell_text(ensemble.cell("import sys"))
    assert "ensemble_all" in cell_text(ensemble.cell("api = nbr.Api"))
    m1 = cell_text(ensemble.cell("%%log_artifact m1"))
    assert "ensemble-walkthrough/m1:v0" in m1 and "<code>best</code>" in m1 and "<code>latest</code>" in m1
    composite = cell_text(ensemble.cell("%%log_artifact ensemble"))
    assert "ensemble-walkthrough/ensemble:v0" in composite and "depends on" in composite
    for k in (1, 2, 3):
        assert f"ensemble-walkthrough/m{k}:v0" in composite
    used = cell_text(ensemble.cell('run = nbr.init(project=PROJECT, job_type="evaluate"'))
    assert "m2:best is m2 | ensemble_m1:staging is m1" in used
    listing = cell_text(ensemble.cell("folder = %use ensemble:latest --refs --path"))
    for f in ("ensemble.json", "m1/m1.json", "m2/m2.json", "m3/m3.json"):
        assert re.search(rf"^\s+{re.escape(f)}$", listing, re.M), listing


def test_ensemble_graph_widgets_hold_the_dag(ensemble: Executed) -> None:
    early = graph_labels(ensemble, ensemble.cell("%lineage m1:latest"))
    assert any(label.startswith("m1:v0") for label in early) and any(label.startswith("dataset:v0") for label in early)
    labels = graph_labels(ensemble, ensemble.cell("%lineage ensemble:latest"))
    for prefix in ("ensemble:v0", "m1:v0", "m2:v0", "m3:v0", "dataset:v0", "assemble-ensemble", "train-m1"):
        assert any(label.startswith(prefix) for label in labels), (prefix, labels)
    assert any("best" in label for label in labels if label.startswith("m1:v0")), "aliases are on the labels"
    # a static rendering (GitHub, nbviewer, an untrusted notebook) gets the graph as a picture, in its own output
    picture, widget = ensemble.cell("%lineage ensemble:latest").outputs
    assert "nbr-lineage-picture" in picture["data"]["text/html"] and "<svg" in picture["data"]["image/svg+xml"]
    assert "LineageView" in widget["data"]["text/plain"] and WIDGET_VIEW in widget["data"]


def test_ensemble_registry_browser_renders(ensemble: Executed) -> None:
    cell = ensemble.cell("%registry")
    assert widget_views(cell), "the browser is a widget"
    summary, widget = cell.outputs
    assert "RegistryBrowser" in widget["data"]["text/plain"] and "<table>" in summary["data"]["text/html"]
    state = widget_strings(ensemble, cell)
    for title in ("Registered models", "Artifacts", "Runs"):
        assert title in state, f"tab {title!r} missing"
    assert "ensemble_all" in state


def test_ensemble_registry_has_models_aliases_links_and_lineage(ensemble: Executed) -> None:
    api = ensemble.api()
    models = {m.name: m for m in api.registered_models(tag="ensemble-demo")}
    assert set(models) == {"ensemble_m1", "ensemble_m2", "ensemble_m3", "ensemble_all"}
    for k in (1, 2, 3):
        rm = models[f"ensemble_m{k}"]
        assert rm.aliases == {"staging": 0}
        assert [v["artifact"] for v in rm.versions()] == [f"ensemble-walkthrough/m{k}:v0"]
        assert api.artifact(f"m{k}:best").id == f"ensemble-walkthrough/m{k}:v0"
        assert api.artifact(f"model-registry/ensemble_m{k}:staging").id == f"ensemble-walkthrough/m{k}:v0"
    ens = api.artifact("model-registry/ensemble_all:staging")
    assert ens.id == "ensemble-walkthrough/ensemble:v0"
    assert sorted(ens.dependencies) == [f"ensemble-walkthrough/m{k}:v0" for k in (1, 2, 3)]
    assert api.artifact("dataset:latest").type == "dataset"

    runs = api.runs("ensemble-walkthrough").to_records()
    assert sorted(r["name"] for r in runs if r["job_type"] != "generate-data") == [
        "assemble-ensemble", "train-m1", "train-m2", "train-m3", "use-the-ensemble"]
    assert {r["state"] for r in runs} == {"finished"}, runs
    assert next(r for r in runs if r["name"] == "train-m1")["config.features"] == [0, 1]

    edges = edges_by_label(api.lineage("ensemble:latest"))
    gen = next(r["name"] for r in runs if r["job_type"] == "generate-data")
    for k in (1, 2, 3):
        assert (f"m{k}:v0", "depends-on", "ensemble:v0") in edges
        assert (f"train-m{k}", "produced", f"m{k}:v0") in edges
        assert ("dataset:v0", "used", f"train-m{k}") in edges
        assert (f"m{k}:v0", "used", "assemble-ensemble") in edges
    assert ("assemble-ensemble", "produced", "ensemble:v0") in edges
    assert (gen, "produced", "dataset:v0") in edges
    # %%log_artifact records its cell as the code of the step that made the version
    code = api.registry.blobs.read_verified(api.artifact("m1:v0").info["code"]).decode()
    assert code.startswith("m1 = train(data") and "%%log_artifact" not in code


# -- the model registry walkthrough ----------------------------------------------------------------------
def test_model_registry_runs_clean_and_shows_promotions(model_registry: Executed) -> None:
    assert_clean(model_registry)
    training = cell_text(model_registry.cell("def train(config, name):"))
    assert "epoch 0:" in training and "anomaly-classifier:v0 ['latest', 'best']" in training
    promote = cell_text(model_registry.cell("@nbr.on_alias_change"))
    assert "'production' moved from nothing to v0" in promote
    retrain = cell_text(model_registry.cell('train({"lr": 1.0'))
    assert "'staging' moved from v0 to v1" in retrain and "'production' moved from v0 to v1" in retrain
    assert "production → v1" in retrain and "Anomaly classifier" in retrain  # the card in the rich display
    history = cell_text(model_registry.cell("from nb_registry.table import Table"))
    assert history.count("<tr>") == 5  # header + 4 moves
    consumer = cell_text(model_registry.cell("consumer = nbr.init("))
    assert "anomaly probabilities:" in consumer
    labels = graph_labels(model_registry, model_registry.cell("%lineage model-registry/anomaly_classifier:v0 --both"))
    for prefix in ("nightly-scoring", "baseline", "sensor-readings:v0", "anomaly-classifier:v"):
        assert any(label.startswith(prefix) for label in labels), (prefix, labels)
    assert not any(label.startswith("higher-lr") for label in labels), "only v0's lineage"


def test_model_registry_state_card_aliases_history_and_consumer(model_registry: Executed) -> None:
    api = model_registry.api()
    rm = api.registered_model("anomaly_classifier")
    assert rm.tags == ["anomaly-detection", "tabular"] and rm.model_card.startswith("# Anomaly classifier")
    assert rm.aliases == {"staging": 1, "production": 1}
    versions = api.artifact_versions("anomaly-classifier")
    assert len(versions) == 12
    by_run: dict[str, list[Any]] = {}
    for art in versions:
        by_run.setdefault(art.producer_run, []).append(art)
    assert len(by_run) == 2 and all(len(v) == 6 for v in by_run.values())
    first, second = sorted(by_run.values(), key=lambda arts: min(a.created_at for a in arts))
    best_of = lambda arts: max(arts, key=lambda a: (a.metadata["val_acc"], -int(a.version[1:])))  # noqa: E731
    linked = [v["artifact"] for v in rm.versions()]
    assert linked == [best_of(first).id, best_of(second).id]
    assert api.artifact("anomaly-classifier:best").id == best_of(second).id
    assert api.artifact("anomaly-classifier:latest").version == "v11"
    assert [(h["alias"], h["from"], h["to"]) for h in rm.history()] == [
        ("staging", None, 0), ("production", None, 0), ("staging", 0, 1), ("production", 0, 1)]
    consumers = api.runs("alerts-team").to_records()
    assert [(r["name"], r["job_type"], r["state"]) for r in consumers] == [("nightly-scoring", "inference", "finished")]
    assert api.run(f"alerts-team/{consumers[0]['id']}").inputs == [best_of(first).id]  # production at that time
    trains = [r for r in api.runs(model_registry.project).to_records() if r["job_type"] == "train"]
    assert sorted(r["name"] for r in trains) == ["baseline", "higher-lr"]
    assert all(len(api.run(f"{r['project']}/{r['id']}").history()) == 6 for r in trains)


# -- the experiment tracking notebook --------------------------------------------------------------------
def test_tracking_runs_clean_table_sorted_and_chart(tracking: Executed) -> None:
    assert_clean(tracking)
    api = tracking.api()
    trials = api.runs(tracking.project, filters={"job_type": "hpo-trial"}, order=["-summary.val_acc", "summary.train_loss"])
    assert len(trials) == 12 and {r["state"] for r in trials} == {"finished"}
    assert len({r["config.sweep"] for r in trials}) == 1
    shown = re.findall(r"<td>(trial-\d\d)</td>", cell_text(tracking.cell("api = nbr.Api(project=PROJECT)")))
    assert shown == [r["name"] for r in trials], "the table is sorted by val_acc, best first"
    assert trials[0]["summary.val_acc"] >= 0.95 > trials[-1]["summary.val_acc"]
    assert len(api.run(f"{tracking.project}/{trials[0]['id']}").history()) == 12
    chart = tracking.cell("from nb_registry.widgets.charts import")
    assert widget_views(chart), "the parallel-coordinates chart is displayed"
    saved = widget_strings(tracking, chart)
    assert "application/vnd.plotly.v1+json" in saved and '"parcoords"' in saved
    for axis in ("lr", "hidden", "l2", "val_acc"):
        assert f'"label": "{axis}"' in saved


def test_tracking_best_model_registered_and_predictions_stamped(tracking: Executed) -> None:
    api = tracking.api()
    best = api.runs(tracking.project, filters={"job_type": "hpo-trial"}, order=["-summary.val_acc", "summary.train_loss"])[0]
    model = api.artifact("model-registry/moons_classifier:staging")
    assert model.id == "moons-hpo/moons-classifier:v0" and "best" in model.aliases
    assert model.metadata["val_acc"] == pytest.approx(best["summary.val_acc"])
    producer = model.logged_by()
    assert producer.job_type == "train-best"
    assert {k: v for k, v in producer.config.items()} == {k[7:]: v for k, v in best.items() if k.startswith("config.")}
    assert producer.inputs == ["moons-hpo/moons:v0"]
    weights = json.loads(Path(model.get_entry("weights.json").download()).read_text())
    assert set(weights) == {"W1", "b1", "W2", "b2"}
    rows = api.prediction_log("model-registry/moons_classifier:staging").read().to_records()
    assert len(rows) == 5 and {(r["model"], r["digest"]) for r in rows} == {(model.id, model.digest)}
    assert "moons-hpo/moons-classifier:v0" in cell_text(tracking.cell('run = nbr.init(project=PROJECT, job_type="serve"'))
    labels = graph_labels(tracking, tracking.cell("%lineage model-registry/moons_classifier:staging"))
    assert any(label.startswith("moons-classifier:v0") for label in labels)
    assert any(label.startswith("moons:v0") for label in labels)
    edges = edges_by_label(api.lineage("moons-classifier:v0"))
    assert edges == {("experiment_tracking", "produced", "moons:v0"), ("moons:v0", "used", f"best-of-{best['config.sweep']}"),
                     (f"best-of-{best['config.sweep']}", "produced", "moons-classifier:v0")}, edges


def test_tracking_browser_opens_on_the_runs_view(tracking: Executed) -> None:
    cell = tracking.cell("browser = %registry")
    state = widget_strings(tracking, cell)
    assert '"selected_index": 2' in state
    for i in range(12):
        assert f"trial-{i:02d}" in state


# -- the training integrations notebook -------------------------------------------------------------------
def test_integrations_lightning_checkpoints_best_registered_and_browsed(integrations: Executed) -> None:
    assert_clean(integrations)
    api = integrations.api()
    [run] = api.runs(integrations.project, filters={"name": "moons-net"}).to_records()
    assert run["state"] == "finished" and run["job_type"] == "train"
    assert (run["config.hidden"], run["config.lr"]) == (16, 0.05)
    versions = api.artifact_versions(f"model-{run['id']}")
    scores = [v.metadata["score"] for v in versions]
    assert len(versions) >= 3 and [v.metadata["epoch"] for v in versions] == sorted(v.metadata["epoch"] for v in versions)
    best = api.artifact(f"model-{run['id']}:best")
    assert best.id == versions[scores.index(max(scores))].id, "best is the first checkpoint with the highest val_acc"
    assert api.artifact(f"model-{run['id']}:latest").id == versions[-1].id
    assert api.artifact("model-registry/moons_net:staging").id == best.id
    assert api.registered_model("moons_net").model_card.startswith("# moons_net")
    assert (f"run:{integrations.project}/{run['id']}", "produced", f"artifact:{best.id}") in {
        (e["source"], e["kind"], e["target"]) for e in api.lineage(best.id)["edges"]}
    printed = cell_text(integrations.cell("import logging"))
    assert f"{best.version:>4}  epoch" in printed and "best" in printed.splitlines()[1 + int(best.version[1:])]
    browser = widget_strings(integrations, integrations.cell("browser = %registry"))
    assert f"model-{run['id']}" in browser and f"{best.version}  (best)" in browser.replace("\\u00a0", " ")
    assert "moons_net" in cell_text(integrations.cell("best = api.artifact("))
    labels = graph_labels(integrations, integrations.cell("%lineage model-registry/moons_net:staging"))
    assert any(label.startswith(f"model-{run['id']}:{best.version}") for label in labels)


def test_integrations_optuna_search_runs_chart_and_artifacts(integrations: Executed) -> None:
    api = integrations.api()
    trials = api.runs(integrations.project, filters={"job_type": "optuna-trial"}, order="-summary.val_acc").to_records()
    assert len(trials) == 12 and {r["state"] for r in trials} == {"finished"}
    assert all("moons-mlp" in r["tags"] for r in trials) and {r["summary.state"] for r in trials} == {"COMPLETE"}
    assert all(r["config.hidden"] in (2, 4, 8, 16) and 1e-3 <= r["config.lr"] <= 1.0 for r in trials)
    history = api.run(f"{integrations.project}/{trials[0]['id']}").history().to_records()
    assert [h["_step"] for h in history] == [20, 40, 60, 80, 100]
    assert history[-1]["intermediate_value"] == trials[0]["summary.val_acc"]
    chart = integrations.cell("from nb_registry.widgets.charts import")
    saved = widget_strings(integrations, chart)
    assert "application/vnd.plotly.v1+json" in saved and '"parcoords"' in saved
    for axis in ("hidden", "lr", "weight_decay", "val_acc"):
        assert f'"label": "{axis}"' in saved
    uploads = api.artifact_versions("optuna-artifacts")
    by_run = {f"{integrations.project}/{r['id']}": r for r in trials}
    assert len(uploads) == 12 and all(v.producer_run in by_run for v in uploads)
    best_trial = int(re.search(r"best trial (\d+):", cell_text(integrations.cell("import optuna"))).group(1))
    assert by_trial_number(trials)[best_trial]["summary.val_acc"] == trials[0]["summary.val_acc"]  # ties aside, the best
    [again] = [v for v in uploads if len([a for a in v.aliases if a != "latest"]) == 2]
    assert by_run[again.producer_run]["summary.trial_number"] == best_trial  # uploaded again: no new version


def by_trial_number(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["summary.trial_number"]: r for r in rows}


# -- errors a user makes -----------------------------------------------------------------------------------
BAD_INPUT = {
    "unknown alias": ("%use data:nonexistent", ["no alias 'nonexistent'", "latest"]),
    "unknown artifact": ("%use nosuch:latest", ["nosuch", "data"]),
    "bad flag": ("%use data:latest --bogus", ["--bogus"]),
    "bad flag in a cell magic": ("%%log_artifact x --var x --colour red\nx = 1", ["--colour"]),
    "missing file": ("%%log_artifact weights --files missing/*.bin\npass", ["missing/*.bin", "matches nothing"]),
    "missing variable": ("%%log_artifact w --var nope\npass", ["nope"]),
    "unknown registered model": ("%use model-registry/nosuch:production", ["nosuch"]),
    "bad metadata": ("%%log_artifact w --var x --metadata novalue\nx = 1", ["key=value"]),
    "lineage of an unknown version": ("%lineage data:v7", ["v7", "v0"]),
    "bad link, checked before the cell runs": ('%%log_artifact linked --var x --link "Bad!Name:staging"\nx = 1\nran = True',
                                               ["Bad!Name", "registered model name"]),
    "unclosed quote": ('%%log_artifact q --var x --description "unclosed\nx = 1', ["No closing quotation"]),
    "unwritable html export": ("%lineage data:v0 --html /proc/nope/graph.html", ["/proc/nope/graph.html"]),
    "a root that cannot be opened": ("%registry --root foo://x/reg", ["cannot open the registry", "still using"]),
    "--as that is not a name": ('%use data:latest --as "not a var"', ["--as takes a Python variable name"]),
    "negative depth": ("%lineage data:v0 --depth -1", ["--depth"]),
}


@pytest.fixture(scope="module")
def errors(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    root = tmp_path_factory.mktemp("errors")
    nb = nbformat.v4.new_notebook()
    cells = ["%load_ext nb_registry\n%registry --project errs", "%%log_artifact data --var data\ndata = [1, 2, 3]",
             *(src for src, _ in BAD_INPUT.values()),
             "%%log_artifact broken --var z\nz = 1 / 0",
             "print(repr(globals().get('ran')))",
             "%use data:latest"]
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    execute(nb, root, allow_errors=True)
    return nb, root


def error_output(cell: Any) -> str:
    return "\n".join(output_text(o) for o in cell.outputs if o.output_type == "error" or
                     (o.output_type == "stream" and o.name == "stderr"))


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_magic_errors_are_one_short_paragraph(errors: tuple[Any, Path], case: str) -> None:
    nb, _ = errors
    src, expected = BAD_INPUT[case]
    cell = next(c for c in nb.cells if c.source == src)
    text = re.sub(r"\x1b\[[0-9;]*m", "", error_output(cell)).strip()
    assert text, f"{case}: no error shown"
    assert "Traceback" not in text and "nb_registry/" not in text and 'File "' not in text, f"{case}:\n{text}"
    assert len(text.splitlines()) <= 3 and len(text) < 700, f"{case}: not one short paragraph:\n{text}"
    for needle in expected:
        assert needle in text, f"{case}: {needle!r} not in {text!r}"


def test_magic_flag_errors_list_the_flags_that_exist(errors: tuple[Any, Path]) -> None:
    nb, _ = errors
    cell = next(c for c in nb.cells if c.source == BAD_INPUT["bad flag"][0])
    text = error_output(cell)
    assert "--path" in text and "--as" in text, f"a bad flag should say which flags %use takes:\n{text}"


def test_a_failing_cell_logs_nothing_and_shows_the_users_error(errors: tuple[Any, Path]) -> None:
    nb, root = errors
    cell = next(c for c in nb.cells if c.source.startswith("%%log_artifact broken"))
    text = error_output(cell)
    assert "ZeroDivisionError" in text
    assert "nb_registry/" not in re.sub(r"\x1b\[[0-9;]*m", "", text)
    api = nbr.Api(root=str(root / "registry"), project="errs")
    assert not api.artifact_exists("broken:latest")
    assert not api.artifact_exists("linked:latest")  # its --link was refused before the cell ran
    assert cell_text(nb.cells[-2]).strip() == "None"  # and its body never ran (`ran` was not set)
    assert [c["name"] for c in api.artifact_collections("errs")] == ["data"]
    # the kernel went on working after every error
    assert "errs/data:v0" in cell_text(nb.cells[-1]) or "[1, 2, 3]" in cell_text(nb.cells[-1])


# -- the README's headless command -----------------------------------------------------------------------
def test_demo_headless_runs_the_walkthrough_and_says_what_it_did(tmp_path: Path) -> None:
    env = kernel_env(tmp_path)
    cmd = [sys.executable, "-m", "nb_registry.demo", "--headless", "--output", str(tmp_path / "executed.ipynb")]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "http://" not in out  # headless: no JupyterLab
    assert f"registry  {tmp_path / 'registry'}" in out
    for k in (1, 2, 3):
        assert f"registered model  model-registry/ensemble_m{k}" in out
        assert f"v0 -> ensemble-walkthrough/m{k}:v0  [staging]" in out
        assert f"depends on ensemble-walkthrough/m{k}:v0  aliases: latest, best" in out  # the aliases it moved
    assert "v0 -> ensemble-walkthrough/ensemble:v0  [staging]" in out
    assert re.search(r"downloaded to \S+: .*m1/m1\.json", out)
    executed = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    assert WIDGET_STATE in executed.metadata["widgets"]
    # running it again (on the same default store) changes no versions
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)
    assert second.returncode == 0, second.stderr
    strip = lambda s: [line for line in s.splitlines() if not line.startswith(("done in", "executed notebook"))]  # noqa: E731
    assert strip(second.stdout) == strip(out)


def test_demo_runs_the_walkthrough_then_opens_jupyterlab(tmp_path: Path) -> None:
    """The README's main command: the walkthrough's summary first, then JupyterLab on 127.0.0.1 with a token."""
    import shutil
    import signal
    import urllib.error
    import urllib.request

    from nb_registry.demo import free_port

    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, notebooks)
    server_log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "nb_registry.demo", "--notebook-dir", str(notebooks),
                             "--port", str(free_port(0))],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=server_log, text=True,
                            env=kernel_env(tmp_path), cwd=tmp_path, start_new_session=True)
    lines: list[str] = []
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if line.strip().startswith("open "):
                break
        out = "".join(lines)
        assert "registered model  model-registry/ensemble_m1" in out, out  # the summary comes first
        url = re.search(r"open\s+(http://127\.0\.0\.1:\d+)/lab/tree/ensemble_walkthrough\.ipynb\?token=(\w+)", out)
        assert url, out
        assert out.index("downloaded to") < out.index("open ")
        status_url = f"{url.group(1)}/nb-registry/api/status"
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(status_url, timeout=30)  # behind Jupyter's token
        status = json.loads(urllib.request.urlopen(f"{status_url}?token={url.group(2)}", timeout=30).read())
        assert status["root"] == str(tmp_path / "registry")  # the server extension sees the demo's registry
        # JupyterLab opens the walkthrough as this run executed it, trusted: its widgets show, no "not trusted" warning
        from nbformat.sign import NotebookNotary

        executed = nbformat.read(notebooks / "ensemble_walkthrough.ipynb", as_version=4)
        assert f"root {tmp_path / 'registry'}," in cell_text(executed.cells[2]), "the demo's own run, on its registry"
        for name in NOTEBOOK_NAMES:
            assert NotebookNotary().check_signature(nbformat.read(notebooks / name, as_version=4)), f"{name} not trusted"
        contents = f"{url.group(1)}/api/contents/ensemble_walkthrough.ipynb?token={url.group(2)}"
        assert json.loads(urllib.request.urlopen(contents, timeout=30).read())["content"]["cells"], "the server reads it"
        # and without the "Jupyter news" toast
        settings = f"{url.group(1)}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={url.group(2)}"
        schema = json.loads(urllib.request.urlopen(settings, timeout=30).read())["schema"]["properties"]
        assert schema["fetchNews"]["default"] == "false" and schema["checkForUpdates"]["default"] is False, schema
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        server_log.close()
    log = (tmp_path / "server.log").read_text()
    assert "not trusted" not in log, log


def test_demo_without_jupyterlab_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from nb_registry import demo

    monkeypatch.setitem(sys.modules, "jupyterlab", None)  # as if it were not installed
    assert demo.main(["--lab"]) == 2
    err = capsys.readouterr().err
    assert "jupyterlab" in err and "pip install 'nb-registry[notebook]'" in err
    monkeypatch.setitem(sys.modules, "nbclient", None)
    assert demo.main(["--headless"]) == 2
    assert "pip install" in capsys.readouterr().err


def test_the_demo_folder_holds_trusted_copies_and_lab_settings_keep_other_overrides(tmp_path: Path) -> None:
    """Without --notebook-dir the demo works in ~/nb_registry-demo (HOME is a temporary folder here), never in the
    shipped notebooks; JupyterLab's overrides add the news settings to the installation's own."""
    import argparse

    from nbformat.sign import NotebookNotary

    from nb_registry import demo

    folder = demo.demo_dir(argparse.Namespace(notebook_dir=None))
    assert folder == Path.home() / "nb_registry-demo"
    assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    demo.trust(folder)
    assert all(NotebookNotary().check_signature(nbformat.read(p, as_version=4)) for p in folder.glob("*.ipynb"))
    settings = demo.lab_settings(tmp_path / "lab-settings")
    overrides = json.loads((settings / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}
