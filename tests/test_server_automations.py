"""The Jupyter server's automation worker (``c.NbRegistry.serve_automations``) and the model page's automation
data, against a real Jupyter server (pytest-jupyter's ``jp_fetch``): with the option on, an alias moved through
the REST API runs the server owner's hook and the page shows a 'delivered' record; with it off nothing runs;
the worker stops with the server. Hooks come from the owner's own configuration (``NB_REGISTRY_CONFIG``)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import call_rest as call

import nb_registry as nbr
from nb_registry.automations import Worker, save_hook

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The server owner's configuration folder, set before the server starts."""
    folder = tmp_path / "config"
    monkeypatch.setenv("NB_REGISTRY_CONFIG", str(folder))
    return folder


@pytest.fixture
def reg_dir(tmp_path: Path) -> str:
    root = str(tmp_path / "served")
    with nbr.init(root=root, project="p", job_type="train") as run:
        for i in range(2):
            art = nbr.Artifact("clf", type="model")
            with art.new_file("w.txt") as f:
                f.write(f"weights {i}")
            run.link_artifact(run.log_artifact(art), "churn")
    return root


@pytest.fixture
def hook(own_config: Path, tmp_path: Path) -> dict[str, Any]:
    """A command hook on churn:production that records the version it was given and the model file's text."""
    out = tmp_path / "deployed.txt"
    saved = save_hook({"name": "deploy", "model": "churn", "alias": "production",
                       "command": f'echo "$NB_REGISTRY_VERSION $(cat "$NB_REGISTRY_PATH/w.txt")" >> {out}; echo done'})
    return {**saved, "out": out}


@pytest.fixture
def serve_automations() -> bool:
    return False


@pytest.fixture
def jp_server_config(reg_dir: str, own_config: Path, serve_automations: bool) -> Any:
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"nb_registry": True}},
                   "NbRegistry": {"root": reg_dir, "project": "p", "serve_automations": serve_automations,
                                  "automations_poll": 0.2}})


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "nb_registry-automations"]


@pytest.mark.parametrize("serve_automations", [True])
async def test_with_the_option_on_an_alias_moved_over_rest_runs_your_hook(jp_fetch: Any, jp_serverapp: Any,
                                                                          hook: dict[str, Any], reg_dir: str) -> None:
    code, model = await call(jp_fetch, "models", "churn", "aliases", "production", method="PUT", body={"version": "v1"})
    assert code == 200 and model["aliases"] == {"production": 1}
    assert model["automation_worker"]["running"] is True
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        code, model = await call(jp_fetch, "models", "churn")
        if [d["status"] for d in model["deliveries"]] == ["delivered"]:
            break
        await asyncio.sleep(0.1)
    assert Path(hook["out"]).read_text() == "v1 weights 1\n", "the hook ran once, on the version moved to"
    [delivery] = model["deliveries"]
    assert (delivery["hook"], delivery["status"], delivery["attempts"], delivery["kind"], delivery["alias"],
            delivery["version"], delivery["from"]) == ("deploy", "delivered", 1, "alias", "production", 1, None)
    assert delivery["detail"] == "exit 0: done\n" and delivery["worker"] == model["automation_worker"]["name"]
    assert model["deliveries_total"] == 1
    assert model["automations"] == [{"name": "deploy", "model": "churn", "alias": "production", "events": ["alias"],
                                     "kind": "command", "target": hook["command"], "signed": False,
                                     "on_remove": False, "since": hook["since"]}]
    assert model["automations_error"] is None

    # the worker stops when the server stops (its extensions are stopped first): a later move is not delivered
    assert len(_worker_threads()) == 1
    await jp_serverapp.cleanup_extensions()
    assert _worker_threads() == []
    nbr.Api(root=reg_dir).registered_model("churn").set_alias("production", 0)
    await asyncio.sleep(0.6)
    assert Path(hook["out"]).read_text() == "v1 weights 1\n"


async def test_with_the_option_off_nothing_runs(jp_fetch: Any, hook: dict[str, Any], reg_dir: str) -> None:
    assert _worker_threads() == []
    code, model = await call(jp_fetch, "models", "churn", "aliases", "production", method="PUT", body={"version": "v1"})
    assert code == 200 and model["automation_worker"] is None
    assert [h["name"] for h in model["automations"]] == ["deploy"], "your hooks are shown, whether or not they run here"
    await asyncio.sleep(1.0)  # five poll intervals of a worker, had one been started
    code, model = await call(jp_fetch, "models", "churn")
    assert model["deliveries"] == [] and not Path(hook["out"]).exists()
    # the hook itself works: a worker its owner starts delivers the very same event
    assert Worker(nbr.Api(root=reg_dir).registry).run_once() == 1
    assert Path(hook["out"]).read_text() == "v1 weights 1\n"
    code, model = await call(jp_fetch, "models", "churn")
    assert [d["status"] for d in model["deliveries"]] == ["delivered"]


async def test_the_page_never_shows_a_secret_and_names_a_bad_configuration(jp_fetch: Any, own_config: Path,
                                                                           reg_dir: str) -> None:
    save_hook({"name": "ci", "model": "*", "webhook": "https://hooks.example.com/services/T0/B0/tok3n?key=abc",
               "secret": "s3cr3t-value", "events": ["alias", "link"]})
    save_hook({"name": "other-model", "model": "fraud", "alias": "production", "command": ["true"]})
    code, model = await call(jp_fetch, "models", "churn")
    assert [(h["name"], h["kind"], h["target"], h["signed"], h["events"]) for h in model["automations"]] == [
        ("ci", "webhook", "https://hooks.example.com/…", True, ["alias", "link"])], "only the hooks for this model"
    raw = (await jp_fetch("nb-registry", "api", "models", "churn")).body.decode()
    assert "s3cr3t-value" not in raw and "tok3n" not in raw and "key=abc" not in raw

    # a delivery's long output is cut to its tail; deliveries are newest first
    save_hook({"name": "noisy", "model": "churn", "alias": "*", "command": "python3 -c \"print('x' * 5000 + 'END')\""})
    rm = nbr.Api(root=reg_dir).registered_model("churn")
    rm.set_alias("staging", 0)
    rm.set_alias("staging", 1)
    Worker(nbr.Api(root=reg_dir).registry, hooks=[h for h in json.loads((own_config / "automations.json").read_text())["hooks"]
                                                  if h["name"] == "noisy"]).run_once()
    code, model = await call(jp_fetch, "models", "churn")
    assert [(d["hook"], d["version"]) for d in model["deliveries"]] == [("noisy", 1), ("noisy", 0)]
    assert len(model["deliveries"][0]["detail"]) == 2001 and model["deliveries"][0]["detail"].endswith("END\n")

    (own_config / "automations.json").write_text("{not json")
    code, model = await call(jp_fetch, "models", "churn")
    assert code == 200 and model["automations"] == []
    assert "not valid JSON" in model["automations_error"] and str(own_config) not in model["automations_error"]


async def test_version_tags_are_in_the_model_view(jp_fetch: Any, reg_dir: str) -> None:
    nbr.Api(root=reg_dir).registered_model("churn").set_version_tag("v1", "validation_status", "approved")
    code, model = await call(jp_fetch, "models", "churn")
    assert [v["tags"] for v in model["versions"]] == [{}, {"validation_status": "approved"}]
