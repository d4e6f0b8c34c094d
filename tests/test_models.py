"""The model registry: registered models, links without copies, stage aliases with history,
rollback, search, in-process callbacks; prediction logs. (Automations: tests/test_automations.py.)"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import nb_registry as nbr
from nb_registry import models as models_mod

REPO = str(Path(__file__).resolve().parents[1])


@pytest.fixture
def api(reg_root: str) -> Any:
    return nbr.Api(root=reg_root, project="p")


def blob_files(root: str) -> list[str]:
    out = []
    for folder, _, files in os.walk(os.path.join(root, "blobs")):
        if os.path.basename(folder) != "tmp":
            out += [os.path.join(folder, f) for f in files]
    return sorted(out)


@pytest.fixture
def trained(reg_root: str, tmp_path: Path) -> dict[str, Any]:
    """Three versions of 'clf' logged by one training run, with val_acc metadata."""
    out: dict[str, Any] = {}
    with nbr.init(project="p", job_type="train", root=reg_root) as run:
        versions = []
        for i, acc in enumerate((0.81, 0.87, 0.92)):
            f = tmp_path / f"w{i}" / "model.bin"
            f.parent.mkdir()
            f.write_text(f"weights {i}")
            art = nbr.Artifact("clf", type="model", metadata={"val_acc": acc})
            art.add_file(f)
            versions.append(run.log_artifact(art))
        out["versions"] = versions
    out["run"] = run
    return out


# -- creating and linking ---------------------------------------------------------------------------
def test_create_registered_model_twice_is_an_error(api: Any) -> None:
    rm = api.create_registered_model("churn", description="Predicts churn", model_card="# Churn\nA GBM.",
                                     tags=["tabular", "prod"])
    assert (rm.name, rm.description, rm.model_card, rm.tags) == ("churn", "Predicts churn", "# Churn\nA GBM.",
                                                                 ["prod", "tabular"])
    with pytest.raises(nbr.AlreadyExistsError, match="churn"):
        api.create_registered_model("churn")
    with pytest.raises(nbr.InvalidNameError):
        api.create_registered_model("bad/name:x")  # W&B allows spaces; not / or :
    with pytest.raises(nbr.NotFoundError, match="churn"):
        api.registered_model("nope")


def test_link_copies_no_bytes_and_does_not_duplicate(api: Any, reg_root: str, trained: dict[str, Any]) -> None:
    v0, v1, v2 = trained["versions"]
    api.create_registered_model("clf-prod")
    blobs_before = blob_files(reg_root)
    with nbr.init(project="p", job_type="promote", root=reg_root) as run:
        linked = run.link_artifact(v0, "model-registry/clf-prod", aliases=["staging"])
    assert linked.id == v0.id and linked.linked_as == "model-registry/clf-prod:v0"
    again = api.link(v1.id, "clf-prod", aliases=["staging"])
    assert again.linked_as == "model-registry/clf-prod:v1"
    api.link(v0, "clf-prod")  # the same version again: no new registered version
    assert blob_files(reg_root) == blobs_before, "linking must not copy any bytes"
    rm = api.registered_model("clf-prod")
    rows = rm.versions()
    assert [r["version"] for r in rows] == ["v0", "v1"]
    assert [r["artifact"] for r in rows] == [v0.id, v1.id]
    assert rm.aliases == {"staging": 1}


def test_link_creates_the_registered_model_on_first_use(api: Any, trained: dict[str, Any]) -> None:
    api.link(trained["versions"][2].id, "model-registry/auto-created", aliases=["production"])
    rm = api.registered_model("model-registry/auto-created")
    assert rm.aliases == {"production": 0}
    assert [m.name for m in api.registered_models()] == ["auto-created"]


def test_linking_a_missing_version_is_an_error(api: Any, trained: dict[str, Any]) -> None:
    with pytest.raises(nbr.NotFoundError, match="v7"):
        api.link("clf:v7", "clf-prod")
    draft = nbr.Artifact("never-logged", type="model")
    with pytest.raises(nbr.RegistryError, match="not logged"):
        api.link(draft, "clf-prod")
    with pytest.raises(nbr.NotFoundError):
        api.registered_model("clf-prod")


def test_versions_rows_have_aliases_artifact_run_metadata(api: Any, trained: dict[str, Any]) -> None:
    v0, v1, v2 = trained["versions"]
    api.link(v0.id, "clf-prod", aliases=["production"])
    api.link(v2.id, "clf-prod", aliases=["staging", "best"])
    rows = api.registered_model("clf-prod").versions()
    assert rows[0]["aliases"] == ["production"] and rows[1]["aliases"] == ["best", "staging"]
    assert rows[1]["artifact"] == v2.id and rows[1]["digest"] == v2.digest
    assert rows[1]["run"] == trained["run"].path
    assert rows[1]["metadata"] == {"val_acc": 0.92}
    assert rows[1]["linked_by"] and rows[1]["linked_at"]
    assert "clf-prod" in api.registered_model("clf-prod")._repr_html_()


# -- aliases -------------------------------------------------------------------------------------
def test_aliases_are_unique_and_moves_are_recorded(api: Any, trained: dict[str, Any]) -> None:
    v0, v1, v2 = trained["versions"]
    for v in (v0, v1, v2):
        api.link(v, "clf-prod")
    rm = api.registered_model("clf-prod")
    rm.set_alias("production", "v0")
    rm.set_alias("production", 1)
    rm.set_alias("production", 1)  # no move, no history
    rm.set_alias("staging", v2)
    assert rm.aliases == {"production": 1, "staging": 2}
    rows = {r["version"]: r["aliases"] for r in rm.versions()}
    assert rows == {"v0": [], "v1": ["production"], "v2": ["staging"]}
    hist = rm.history()
    assert [(h["alias"], h["from"], h["to"]) for h in hist] == [("production", None, 0), ("production", 0, 1),
                                                                ("staging", None, 2)]
    assert all(h["by"] and h["at"] for h in hist)
    assert [h["to"] for h in rm.history("production")] == [0, 1]
    assert api.registered_model("clf-prod").history() == hist, "the history is stored, not just in memory"


def test_set_alias_by_artifact_spec_and_errors(api: Any, trained: dict[str, Any]) -> None:
    v0, v1, v2 = trained["versions"]
    api.link(v0, "clf-prod")
    api.link(v1, "clf-prod")
    rm = api.registered_model("clf-prod")
    rm.set_alias("production", "p/clf:v1")
    assert rm.aliases["production"] == 1
    rm.set_alias("production", v0)
    assert rm.aliases["production"] == 0
    with pytest.raises(nbr.NotFoundError, match="not linked"):
        rm.set_alias("production", v2)
    with pytest.raises(nbr.NotFoundError, match="not linked"):
        rm.set_alias("production", "p/clf:v2")
    with pytest.raises(nbr.NotFoundError, match="no version"):
        rm.set_alias("production", "v5")
    with pytest.raises(nbr.NotFoundError, match="no version"):
        rm.set_alias("production", 5)
    with pytest.raises(nbr.InvalidNameError):
        rm.set_alias("v3", 0)
    assert rm.aliases == {"production": 0}


def test_set_alias_by_short_spec_uses_the_api_project(api: Any, trained: dict[str, Any]) -> None:
    v0, v1, _ = trained["versions"]
    api.link(v0, "clf-prod")
    api.link(v1, "clf-prod")
    rm = api.registered_model("clf-prod")
    rm.set_alias("production", "clf:v1")  # the Api's project, as api.artifact("clf:v1") reads it
    assert rm.aliases["production"] == 1


def test_alias_at_and_rollback(api: Any, trained: dict[str, Any]) -> None:
    v0, v1, v2 = trained["versions"]
    for v in (v0, v1, v2):
        api.link(v, "clf-prod")
    rm = api.registered_model("clf-prod")
    t_before = dt.datetime.now(dt.timezone.utc)
    time.sleep(0.01)
    rm.set_alias("production", 0)
    time.sleep(0.01)
    t0 = dt.datetime.now(dt.timezone.utc)
    time.sleep(0.01)
    rm.set_alias("production", 2)
    time.sleep(0.01)
    t2 = dt.datetime.now(dt.timezone.utc)
    assert rm.alias_at("production", t_before) is None
    assert rm.alias_at("production", t0) == 0
    assert rm.alias_at("production", t0.isoformat()) == 0
    assert rm.alias_at("production", t2) == 2
    assert rm.alias_at("staging", t2) is None
    rm.rollback("production")
    assert rm.aliases["production"] == 0
    assert api.artifact("model-registry/clf-prod:production").id == v0.id
    assert [(h["from"], h["to"]) for h in rm.history("production")] == [(None, 0), (0, 2), (2, 0)]
    with pytest.raises(nbr.NotFoundError, match="roll back"):
        rm.rollback("staging")


def test_alias_at_with_a_naive_local_datetime(api: Any, trained: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    monkeypatch.setenv("TZ", "IST-5:30")  # UTC+5:30 (POSIX form, no tzdata needed): local is not UTC
    time.tzset()
    try:
        v0, v1, _ = trained["versions"]
        api.link(v0, "clf-prod", aliases=["production"])
        time.sleep(0.01)
        between = dt.datetime.now()  # naive, local: what a user types
        time.sleep(0.01)
        api.registered_model("clf-prod").set_alias("production", api.link(v1, "clf-prod").id)
        assert api.registered_model("clf-prod").alias_at("production", between) == 0
    finally:
        monkeypatch.undo()
        time.tzset()


def test_run_link_artifact_takes_a_spec(api: Any, reg_root: str, trained: dict[str, Any]) -> None:
    with nbr.init(project="p", job_type="promote", root=reg_root) as run:
        linked = run.link_artifact("clf:v2", "model-registry/clf-prod", aliases=["production"])
    assert linked.id == "p/clf:v2"
    assert api.artifact("model-registry/clf-prod:production").id == "p/clf:v2"


def test_registry_specs_resolve_to_the_artifact(api: Any, reg_root: str, trained: dict[str, Any]) -> None:
    v0, v1, _ = trained["versions"]
    api.link(v0, "clf-prod", aliases=["production"])
    api.link(v1, "clf-prod", aliases=["staging"])
    art = api.artifact("model-registry/clf-prod:production")
    assert art.id == v0.id and art.digest == v0.digest
    assert art.linked_as == "model-registry/clf-prod:v0"
    assert api.artifact("model-registry/clf-prod:v1").id == v1.id
    assert api.artifact("model-registry/clf-prod:latest").id == v1.id
    assert Path(art.download(), "model.bin").read_text() == "weights 0"
    with nbr.init(project="serving", job_type="inference", root=reg_root) as run:
        used = run.use_artifact("model-registry/clf-prod:production")
    assert used.id == v0.id
    assert api.run(run.path).inputs == [v0.id]
    with pytest.raises(nbr.NotFoundError, match="no alias 'canary'"):
        api.artifact("model-registry/clf-prod:canary")


def test_registered_models_by_tag_and_text(api: Any, trained: dict[str, Any]) -> None:
    api.create_registered_model("churn", description="Who leaves next month", tags=["tabular"])
    api.create_registered_model("vision", description="Detects defects", tags=["images", "prod"])
    api.create_registered_model("churn-v2", tags=["tabular", "prod"])
    assert [m.name for m in api.registered_models()] == ["churn", "churn-v2", "vision"]
    assert [m.name for m in api.registered_models(tag="prod")] == ["churn-v2", "vision"]
    assert [m.name for m in api.registered_models(search="CHURN")] == ["churn", "churn-v2"]
    assert [m.name for m in api.registered_models(search="defects")] == ["vision"]
    assert [m.name for m in api.registered_models(tag="tabular", search="leaves")] == ["churn"]


def test_update_model_card_and_tags(api: Any) -> None:
    api.create_registered_model("churn", description="old", tags=["a"])
    rm = api.registered_model("churn").update(model_card="## Intended use\nInternal.", tags=["b", "c"])
    assert rm.model_card == "## Intended use\nInternal." and rm.tags == ["b", "c"]
    fresh = api.registered_model("churn")
    assert (fresh.description, fresh.model_card, fresh.tags) == ("old", "## Intended use\nInternal.", ["b", "c"])
    fresh.update(description="new")
    assert api.registered_model("churn").tags == ["b", "c"]
    assert api.registered_model("churn").description == "new"


def test_alias_moves_from_several_processes_form_one_history(api: Any, reg_root: str, trained: dict[str, Any]) -> None:
    for v in trained["versions"]:
        api.link(v, "clf-prod")
    code = textwrap.dedent("""
        import sys, nb_registry as nbr
        rm = nbr.Api(root=sys.argv[1], project="p").registered_model("clf-prod")
        for i in range(15):
            rm.set_alias("production", (i + int(sys.argv[2])) % 3)
    """)
    env = dict(os.environ, PYTHONPATH=REPO)
    procs = [subprocess.Popen([sys.executable, "-c", code, reg_root, str(k)], env=env, stderr=subprocess.PIPE, text=True)
             for k in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    hist = api.registered_model("clf-prod").history("production")
    assert hist[0]["from"] is None
    assert all(h["from"] != h["to"] for h in hist), "a move to the same version is not a move"
    assert all(b["from"] == a["to"] for a, b in zip(hist, hist[1:])), "every move starts where the previous one ended"
    assert api.registered_model("clf-prod").aliases["production"] == hist[-1]["to"]


# -- callbacks (automations: tests/test_automations.py) ------------------------------------------------
def test_on_alias_change_callback(api: Any, trained: dict[str, Any]) -> None:
    v0, v1, _ = trained["versions"]
    events: list[dict[str, Any]] = []
    fn = nbr.on_alias_change(events.append)
    try:
        api.link(v0, "clf-prod", aliases=["production"])
        api.link(v1, "clf-prod")
        api.registered_model("clf-prod").set_alias("production", "v1")
        api.registered_model("clf-prod").set_alias("production", "v1")  # no move: no event
    finally:
        models_mod._callbacks.remove(fn)
    assert [(e["model"], e["alias"], e["from"], e["to"]) for e in events] == [("clf-prod", "production", None, 0),
                                                                              ("clf-prod", "production", 0, 1)]
    assert all(e["by"] and e["at"] for e in events)


def test_a_failing_callback_does_not_undo_the_move_or_stop_the_others(api: Any, trained: dict[str, Any]) -> None:
    v0 = trained["versions"][0]
    api.create_registered_model("clf-prod")
    seen: list[dict[str, Any]] = []

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("callback bug")

    nbr.on_alias_change(broken)
    nbr.on_alias_change(seen.append)
    try:
        with pytest.raises(RuntimeError, match="callback bug"):
            api.link(v0, "clf-prod", aliases=["production"])
    finally:
        models_mod._callbacks.remove(broken)
        models_mod._callbacks.remove(seen.append)
    assert api.registered_model("clf-prod").aliases == {"production": 0}
    assert [(e["alias"], e["to"]) for e in seen] == [("production", 0)], "the other callback still ran"


# -- predictions ---------------------------------------------------------------------------------
def test_prediction_log_stamps_the_version(api: Any, trained: dict[str, Any]) -> None:
    v0, v1, _ = trained["versions"]
    api.link(v1, "clf-prod", aliases=["production"])
    model = api.artifact("model-registry/clf-prod:production")
    log = api.prediction_log("model-registry/clf-prod:production")
    row = log.append(0.87, inputs={"x": 1.2}, request_id="r-1")
    log.append(0.12, inputs={"x": -3})
    assert row["model"] == model.qualified_name == "p/clf:v1"
    assert row["digest"] == v1.digest
    rows = api.prediction_log(v1).read().to_records()
    assert [(r["prediction"], r["model"], r["digest"]) for r in rows] == [(0.87, "p/clf:v1", v1.digest),
                                                                         (0.12, "p/clf:v1", v1.digest)]
    assert rows[0]["request_id"] == "r-1" and rows[0]["inputs"] == {"x": 1.2}
    assert len(api.prediction_log(v0).read()) == 0, "each version has its own log"
    json.dumps(rows)
    with pytest.raises(nbr.InvalidSpecError, match="model"):
        log.append(0.5, model="xgboost")  # would overwrite the version stamp
    assert len(log.read()) == 2


def test_alias_at_reads_a_naive_iso_string_as_local_time(api: Any, trained: dict[str, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    monkeypatch.setenv("TZ", "IST-5:30")  # UTC+5:30: a naive time read as UTC would be 5.5 h off
    time.tzset()
    try:
        v0, v1, _ = trained["versions"]
        api.link(v0, "clf-prod", aliases=["production"])
        time.sleep(0.01)
        between = dt.datetime.now()  # naive, local
        time.sleep(0.01)
        api.registered_model("clf-prod").set_alias("production", api.link(v1, "clf-prod").id)
        rm = api.registered_model("clf-prod")
        assert rm.alias_at("production", between) == 0
        assert rm.alias_at("production", between.isoformat()) == 0, "the same wall-clock time as a string"
        assert rm.alias_at("production", between.isoformat(sep=" ")) == 0
        assert rm.alias_at("production", between.astimezone(dt.timezone.utc).isoformat()) == 0  # with an offset
        assert rm.alias_at("production", (between - dt.timedelta(hours=1)).isoformat()) is None
        assert rm.alias_at("production", dt.datetime.now().isoformat()) == 1
    finally:
        monkeypatch.undo()
        time.tzset()


def test_alias_at_refuses_what_is_not_a_time(api: Any, trained: dict[str, Any]) -> None:
    api.link(trained["versions"][0], "clf-prod", aliases=["production"])
    rm = api.registered_model("clf-prod")
    for bad in ("yesterday", "", "2026-13-45", 5, 1.5, None, ["2026-01-01"]):
        with pytest.raises(nbr.InvalidSpecError, match="ISO 8601"):
            rm.alias_at("production", bad)


def test_automation_on_latest_is_refused(api: Any, trained: dict[str, Any]) -> None:
    api.link(trained["versions"][0], "clf-prod")
    with pytest.raises(nbr.InvalidSpecError, match="'latest'.*not moved by hand.*fire when an alias is moved"):
        api.add_automation("clf-prod", alias="latest", command="echo deploy")
    assert api.registered_model("clf-prod").automations() == []


def test_remove_alias_of_a_given_version(api: Any, trained: dict[str, Any]) -> None:
    v0, v1, _ = trained["versions"]
    api.link(v0, "clf-prod", aliases=["production"])
    api.link(v1, "clf-prod")
    rm = api.registered_model("clf-prod")
    with pytest.raises(nbr.InvalidSpecError, match="is on v0, not v1"):
        rm.remove_alias("production", "v1")
    assert rm._refresh().aliases == {"production": 0}
    assert rm.remove_alias("production", 0).aliases == {}
