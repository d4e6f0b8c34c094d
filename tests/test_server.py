"""The server extension's REST API, against a real Jupyter server (pytest-jupyter's ``jp_fetch``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import call_rest as call
from tornado.httpclient import HTTPClientError

import nb_registry as nbr

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def reg_dir(tmp_path: Path) -> str:
    root = str(tmp_path / "served")
    with nbr.init(root=root, project="p", job_type="train") as run:
        for i in range(3):
            art = nbr.Artifact("clf", type="model", metadata={"acc": [0.8, 0.81, 0.82][i]})
            with art.new_file("w.json") as f:
                f.write(json.dumps({"w": i}))
            logged = run.log_artifact(art, aliases=["best"] if i == 2 else [])
            run.link_artifact(logged, "churn", aliases=["staging"] if i == 0 else [])
    return root


@pytest.fixture
def jp_server_config(reg_dir: str) -> Any:
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"nb_registry": True}}, "NbRegistry": {"root": reg_dir, "project": "p"}})


async def test_models_list_and_detail(jp_fetch: Any) -> None:
    code, data = await call(jp_fetch, "models")
    assert code == 200 and [m["name"] for m in data["models"]] == ["churn"]
    assert data["models"][0]["aliases"] == {"staging": 0} and data["models"][0]["versions"] == 3
    code, model = await call(jp_fetch, "models", "churn")
    assert code == 200
    assert [v["artifact"] for v in model["versions"]] == ["p/clf:v0", "p/clf:v1", "p/clf:v2"]
    assert model["versions"][2]["metadata"] == {"acc": 0.82}


async def test_move_alias_records_history(jp_fetch: Any, reg_dir: str) -> None:
    code, model = await call(jp_fetch, "models", "churn", "aliases", "staging", method="PUT", body={"version": "v2"})
    assert code == 200 and model["aliases"]["staging"] == 2
    rm = nbr.Api(root=reg_dir).registered_model("churn")
    assert rm.aliases["staging"] == 2
    assert (rm.history()[-1]["from"], rm.history()[-1]["to"]) == (0, 2)


async def test_errors_map_to_status_codes_and_change_nothing(jp_fetch: Any) -> None:
    _, before = await call(jp_fetch, "status")
    assert (await call(jp_fetch, "models", "nope"))[0] == 404
    code, err = await call(jp_fetch, "models", "churn", "aliases", "staging", method="PUT", body={"version": "v9"})
    assert code == 404 and "v9" in err["error"] and err["status"] == 404
    assert (await call(jp_fetch, "models", "churn", "aliases", "v1", method="PUT", body={"version": 0}))[0] == 400
    assert (await call(jp_fetch, "models", "churn", "aliases", "x", method="PUT", body="[1]"))[0] == 400
    assert (await call(jp_fetch, "models", "churn", "aliases", "x", method="PUT", body="{bad json"))[0] == 400
    assert (await call(jp_fetch, "models", method="POST", body={"name": "churn"}))[0] == 409
    assert (await call(jp_fetch, "models", method="POST", body={"name": "bad/name:x"}))[0] == 400
    assert (await call(jp_fetch, "runs", params={"filters": '{"config.nope": 1}'}))[0] == 400
    assert (await call(jp_fetch, "artifacts", "p", "clf", "versions", params={"limit": "-1"}))[0] == 400
    assert (await call(jp_fetch, "lineage", params={"spec": "clf:v0", "direction": "sideways"}))[0] == 400
    assert (await call(jp_fetch, "artifacts", "p", "clf", "aliases", "a", method="PUT", body={"version": ""}))[0] == 400
    assert (await call(jp_fetch, "artifacts", "p", "clf", "versions", " "))[0] == 400
    assert (await call(jp_fetch, "artifacts", "p", "clf:v0", "versions"))[0] == 400
    assert (await call(jp_fetch, "artifacts", "p", "clf", "aliases", "latest", method="DELETE"))[0] == 400
    assert (await call(jp_fetch, "models", "churn", "aliases", "latest", method="PUT", body={"version": 0}))[0] == 400
    code, err = await call(jp_fetch, "find", params={"digest": "pyproject.toml"})  # a path on the server: never read
    assert code == 400 and "64 lowercase hex digits" in err["error"]
    _, after = await call(jp_fetch, "status")
    assert after["generation"] == before["generation"]  # no rejected request wrote anything


async def test_artifacts_versions_lineage_runs(jp_fetch: Any, reg_dir: str) -> None:
    code, data = await call(jp_fetch, "artifacts")
    assert code == 200 and data["collections"][0]["name"] == "clf"
    code, page = await call(jp_fetch, "artifacts", "p", "clf", "versions", params={"limit": "2"})
    assert page["total"] == 3 and [v["version"] for v in page["versions"]] == ["v2", "v1"]
    code, one = await call(jp_fetch, "artifacts", "p", "clf", "versions", "best")
    assert code == 200 and one["version"] == "v2" and one["entries"][0]["path"] == "w.json"
    code, graph = await call(jp_fetch, "lineage", params={"spec": "clf:v2", "direction": "up"})
    assert {e["kind"] for e in graph["edges"]} == {"produced"}
    code, runs = await call(jp_fetch, "runs", params={"project": "p"})
    assert code == 200 and runs["rows"][0]["job_type"] == "train" and runs["total"] == len(runs["rows"])
    code, capped = await call(jp_fetch, "runs", params={"project": "p", "limit": "0"})
    assert capped["rows"] == [] and capped["total"] == runs["total"]  # a capped table says how many match
    with nbr.init(root=reg_dir, project="runs-only") as run:
        run.log({"x": 1})
    code, projects = await call(jp_fetch, "projects")
    assert code == 200 and projects["projects"] == ["p", "runs-only"]  # runs-only projects too
    code, diff = await call(jp_fetch, "diff", params={"a": "clf:v0", "b": "clf:v2"})
    assert diff["changed"] == ["w.json"]
    digest = one["entries"][0]["digest"]
    code, found = await call(jp_fetch, "find", params={"digest": digest})
    assert [r["artifact"] for r in found["results"]] == ["p/clf:v2"]


async def test_link_and_edit_model_card(jp_fetch: Any, reg_dir: str) -> None:
    code, out = await call(jp_fetch, "models", "fraud", method="GET")
    assert code == 404
    code, created = await call(jp_fetch, "models", method="POST", body={"name": "fraud", "tags": ["tabular"]})
    assert code == 201 and created["tags"] == ["tabular"]
    code, linked = await call(jp_fetch, "models", "fraud", "links", method="POST", body={"artifact": "clf:v1", "aliases": ["production"]})
    assert code == 201 and linked == {"linked_as": "model-registry/fraud:v0", "artifact": "p/clf:v1"}
    code, model = await call(jp_fetch, "models", "fraud", method="PATCH", body={"model_card": "# Fraud\nbest model"})
    assert model["model_card"].startswith("# Fraud")
    assert nbr.Api(root=reg_dir).artifact("model-registry/fraud:production").id == "p/clf:v1"


async def test_requires_authentication(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("nb-registry", "api", "models", headers={"Authorization": ""})
    assert e.value.code == 403


async def test_nan_and_infinity_are_sent_as_strict_json(jp_fetch: Any, reg_dir: str) -> None:
    with nbr.init(root=reg_dir, project="p") as run:
        art = nbr.Artifact("odd", type="model", metadata={"loss": float("nan"), "big": float("inf"), "ok": 1.5})
        with art.new_file("w.txt") as f:
            f.write("x")
        run.log_artifact(art)
        run.log({"loss": float("nan")})

    def strict(text: bytes) -> Any:
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))

    r = await jp_fetch("nb-registry", "api", "artifacts", "p", "odd", "versions", "v0")
    assert strict(r.body)["metadata"] == {"loss": None, "big": None, "ok": 1.5}
    r = await jp_fetch("nb-registry", "api", "runs", params={"project": "p"})
    assert strict(r.body)["rows"]


async def test_a_registered_model_named_with_spaces_is_served(jp_fetch: Any, reg_dir: str) -> None:
    """W&B's tutorials name registered models "My Registered Model": the REST API (and so the sidebar) takes them."""
    api = nbr.Api(root=reg_dir, project="p")
    api.link("clf:v1", "My Registered Model", aliases=["staging"])
    code, data = await call(jp_fetch, "models")
    assert "My Registered Model" in [m["name"] for m in data["models"]]
    code, model = await call(jp_fetch, "models", "My Registered Model")
    assert code == 200 and model["aliases"] == {"staging": 0}
    code, model = await call(jp_fetch, "models", "My Registered Model", "aliases", "production", method="PUT",
                             body={"version": "v0"})
    assert code == 200 and model["aliases"] == {"staging": 0, "production": 0}
    code, err = await call(jp_fetch, "models", "no:colons")
    assert code == 400
