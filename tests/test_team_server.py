"""The Jupyter server extension (the lab sidebar's REST API) on a team registry: metadata in PostgreSQL, blobs in a
folder, unchanged for the sidebar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import nb_registry as nbr

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def team(pg_url: str, tmp_path: Path) -> dict[str, str]:
    blobs = str(tmp_path / "blobs")
    reg = nbr.Registry(pg_url, cache_dir=str(tmp_path / "cache"), blobs=blobs)
    for i in range(2):
        art = nbr.Artifact("clf", type="model", metadata={"acc": 0.8 + i / 100})
        with art.new_file("w.json") as f:
            f.write(json.dumps({"w": i}))
        logged = reg.log(art, project="p")
        from nb_registry.models import link

        link(reg, logged, "churn", ["staging"] if i == 0 else [])
    return {"root": pg_url, "blobs": blobs}


@pytest.fixture
def jp_server_config(team: dict[str, str]) -> Any:
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"nb_registry": True}},
                   "NbRegistry": {"root": team["root"], "blobs": team["blobs"], "project": "p"}})


async def test_the_sidebar_api_serves_a_postgresql_registry(jp_fetch: Any, team: dict[str, str], tmp_path: Path) -> None:
    r = await jp_fetch("nb-registry", "api", "models")
    models = json.loads(r.body)["models"]
    assert [(m["name"], m["aliases"], m["versions"]) for m in models] == [("churn", {"staging": 0}, 2)]
    r = await jp_fetch("nb-registry", "api", "models", "churn", "aliases", "staging", method="PUT",
                       body=json.dumps({"version": "v1"}))
    assert json.loads(r.body)["aliases"] == {"staging": 1}
    r = await jp_fetch("nb-registry", "api", "status")
    status = json.loads(r.body)
    assert "password" not in json.dumps(status) and team["root"].split(":")[2].split("@")[0] not in json.dumps(status)
    again = nbr.Registry(team["root"], cache_dir=str(tmp_path / "c2"), blobs=team["blobs"])
    history = again.meta.model_history("churn")
    assert [(e.alias, e.from_version, e.to_version) for e in history] == [("staging", None, 0), ("staging", 0, 1)]
    r = await jp_fetch("nb-registry", "api", "artifacts", "p", "clf", "versions")
    assert sorted(v["version"] for v in json.loads(r.body)["versions"]) == ["v0", "v1"]  # newest first
