"""MLflow-style model registry code, written from MLflow's documentation (registering models, aliases, version
tags, ``models:/`` URIs) and moved to nb_registry: the URIs work wherever a spec does (the Python API,
``%use``, the CLI), and version tags are MLflow's ``set_model_version_tag``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import nb_registry as nbr


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """'Churn Classifier' v1 and v2 (MLflow numbers them from 1), alias champion on v2, as MLflow's quickstart."""
    root = tmp_path / "reg"
    monkeypatch.setenv("NB_REGISTRY_ROOT", str(root))
    monkeypatch.chdir(tmp_path)
    for i in range(2):
        (tmp_path / "model.json").write_text(json.dumps({"trees": 10 * (i + 1)}))
        with nbr.init(project="churn", job_type="train") as run:
            art = nbr.Artifact("gbm", type="model", metadata={"auc": 0.8 + i / 10})
            art.add_file(str(tmp_path / "model.json"))
            run.link_artifact(run.log_artifact(art), "Churn Classifier")
    yield root


def test_model_uris_resolve_as_mlflow_reads_them(registered: Path) -> None:
    api = nbr.Api()
    rm = api.registered_model("Churn Classifier")  # MlflowClient().get_registered_model(name)
    rm.set_alias("champion", 1)  # client.set_registered_model_alias(name, "champion", 2): our v1 is MLflow's 2
    assert api.artifact("models:/Churn Classifier@champion").metadata == {"auc": 0.9}
    assert api.artifact("models:/Churn Classifier/1").metadata == {"auc": 0.8}
    assert api.artifact("models:/Churn Classifier/latest").id == "churn/gbm:v1"
    with nbr.init(project="serve") as run:
        assert run.use_artifact("models:/Churn Classifier@champion").id == "churn/gbm:v1"
    with pytest.raises(nbr.NotFoundError, match="no alias 'challenger'"):
        api.artifact("models:/Churn Classifier@challenger")
    with pytest.raises(nbr.InvalidSpecError, match="count from 1"):
        api.artifact("models:/Churn Classifier/0")


def test_version_tags(registered: Path) -> None:
    rm = nbr.Api().registered_model("Churn Classifier")
    assert rm.set_version_tag("v0", "validation_status", "approved") == {"validation_status": "approved"}
    rm.set_version_tag(1, "validation_status", "pending")
    assert [v["tags"] for v in rm.versions()] == [{"validation_status": "approved"}, {"validation_status": "pending"}]
    assert rm.delete_version_tag("v0", "validation_status") == {}


def test_model_uris_in_the_cli(registered: Path, tmp_path: Path) -> None:
    nbr.Api().registered_model("Churn Classifier").set_alias("champion", 0)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "nb_registry", "--root", str(registered), *args],
                              capture_output=True, text=True, timeout=120)

    got = cli("download", "models:/Churn Classifier@champion", "-o", str(tmp_path / "out"))
    assert got.returncode == 0, got.stderr
    assert json.loads((tmp_path / "out" / "model.json").read_text()) == {"trees": 10}
    shown = cli("--json", "show", "models:/Churn Classifier/2")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == "churn/gbm:v1"
    moved = cli("alias", "model-registry/Churn Classifier:v1", "champion")
    assert moved.returncode == 0, moved.stderr
    assert nbr.Api().artifact("models:/Churn Classifier@champion").id == "churn/gbm:v1"


def test_model_uris_in_use_magic(registered: Path) -> None:
    from IPython.testing.globalipapp import get_ipython

    shell: Any = get_ipython()
    shell.run_line_magic("load_ext", "nb_registry")
    try:
        shell.run_line_magic("registry", f"--root {registered} --project nb")
        nbr.Api().registered_model("Churn Classifier").set_alias("champion", 1)
        assert shell.run_cell('path = %use "models:/Churn Classifier@champion" --path').success
        assert json.loads((Path(shell.user_ns["path"]) / "model.json").read_text()) == {"trees": 20}
        assert shell.run_cell('m = %use "models:/Churn Classifier/1" --path').success
        assert json.loads((Path(shell.user_ns["m"]) / "model.json").read_text()) == {"trees": 10}
    finally:
        shell.run_line_magic("unload_ext", "nb_registry")
