"""The Optuna callback and artifact store with the real Optuna: a seeded search over a quadratic, pruned and failed
trials included, and artifacts uploaded through ``optuna.artifacts`` (nothing in this needs a network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.artifacts import download_artifact, upload_artifact
from optuna.artifacts.exceptions import ArtifactNotFound

import nb_registry as nbr
from nb_registry.integrations.optuna import NbRegistryArtifactStore, NbRegistryCallback

optuna.logging.set_verbosity(optuna.logging.WARNING)
PROJECT = "hpo"


def objective(trial: Any) -> float:
    x = trial.suggest_float("x", -10, 10)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report((x - 2) ** 2 + 3 - step, step)
    if trial.number == 3:
        raise optuna.TrialPruned()
    if trial.number == 4:
        raise ValueError("diverged")
    trial.set_user_attr("kind_was", kind)
    return (x - 2) ** 2


def runs_by_trial(api: Any) -> dict[int, Any]:
    return {r["summary.trial_number"]: r for r in api.runs(PROJECT).to_records()}


def test_a_run_per_trial_with_params_values_state_and_intermediate_values(reg_root: str) -> None:
    callback = NbRegistryCallback(metric_name="loss", project=PROJECT, root=reg_root, tags=["quad"])
    study = optuna.create_study(study_name="quad study", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=6, callbacks=[callback], catch=(ValueError,))
    api = nbr.Api(root=reg_root, project=PROJECT)
    runs = runs_by_trial(api)
    assert sorted(runs) == list(range(6))
    for t in study.trials:
        r = runs[t.number]
        assert (r["name"], r["job_type"]) == (f"trial-{t.number}", "optuna-trial")
        assert r["config.x"] == t.params["x"] and r["config.kind"] == t.params["kind"]
        assert r["config.optuna"] == {"study": "quad study", "directions": ["minimize"]}
        assert r["summary.state"] == t.state.name and set(r["tags"]) == {"quad", "quad-study"}
        history = api.run(f"{PROJECT}/{r['id']}").history().to_records()
        assert [(h["_step"], h["intermediate_value"]) for h in history] == sorted(t.intermediate_values.items())
    assert runs[0]["summary.loss"] == study.trials[0].value and runs[0]["summary.user_attrs/kind_was"] == study.trials[0].params["kind"]
    assert runs[3]["state"] == "finished" and runs[3]["summary.state"] == "PRUNED"  # pruned is not failed
    assert runs[3]["summary.loss"] == study.trials[3].value  # what Optuna gives a pruned trial (its last report)
    assert runs[4]["state"] == "failed" and runs[4]["summary.state"] == "FAIL"
    best = api.runs(PROJECT, filters={"summary.state": "COMPLETE"}, order="summary.loss").to_records()[0]
    assert best["summary.trial_number"] == study.best_trial.number

    # the search as a chart: one line per complete trial
    from nb_registry.widgets.charts import parallel_coordinates_figure

    complete = api.runs(PROJECT, filters={"summary.state": "COMPLETE"}).to_records()
    fig = parallel_coordinates_figure(complete, ["config.x", "config.kind"], "summary.loss")
    assert [d["label"] for d in fig.to_plotly_json()["data"][0]["dimensions"]] == ["x", "kind", "loss"]
    assert len(fig.to_plotly_json()["data"][0]["dimensions"][0]["values"]) == 4


def test_one_run_for_the_study_with_a_row_per_trial(reg_root: str) -> None:
    callback = NbRegistryCallback(as_multirun=False, project=PROJECT, root=reg_root)
    study = optuna.create_study(study_name="s", directions=["minimize", "maximize"],
                                sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=3, callbacks=[callback])
    nbr.finish()
    api = nbr.Api(root=reg_root, project=PROJECT)
    [record] = api.runs(PROJECT).to_records()
    rows = api.run(f"{PROJECT}/{record['id']}").history().to_records()
    assert [r["_step"] for r in rows] == [0, 1, 2] and [r["trial_number"] for r in rows] == [0, 1, 2]
    assert [(r["value_0"], r["value_1"]) for r in rows] == [tuple(t.values) for t in study.trials]
    assert record["config.optuna"]["directions"] == ["minimize", "maximize"]
    with pytest.raises(nbr.InvalidSpecError, match="2 objective values but metric_name names 1"):
        NbRegistryCallback(metric_name=["only"], project=PROJECT, root=reg_root)(study, study.trials[0])


def test_tracked_objectives_log_into_the_trials_run_and_artifacts_dedupe_and_show_in_lineage(
        reg_root: str, tmp_path: Path) -> None:
    callback = NbRegistryCallback(project=PROJECT, root=reg_root)
    store = NbRegistryArtifactStore(project=PROJECT)  # follows the trial's run to its registry
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights" * 1000)
    ids: list[str] = []

    @callback.track_in_nb_registry()
    def tracked(trial: Any) -> float:
        x = trial.suggest_float("x", -1, 1)
        nbr.run.log({"inside": x})  # the objective logs into its trial's run
        ids.append(upload_artifact(artifact_store=store, file_path=str(model), study_or_trial=trial))
        if trial.number == 2:
            raise ValueError("boom")
        return x * x

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))
    study.optimize(tracked, n_trials=3, callbacks=[callback], catch=(ValueError,))
    api = nbr.Api(root=reg_root, project=PROJECT)
    runs = runs_by_trial(api)
    assert [runs[i]["summary.inside"] for i in range(2)] == [t.params["x"] for t in study.trials[:2]]
    assert runs[2]["state"] == "failed" and runs[2]["config.x"] == study.trials[2].params["x"]
    [version] = api.artifact_versions("optuna-artifacts")  # the same bytes three times: stored once
    assert set(ids) <= set(version.aliases) and len(set(ids)) == 3
    assert [e.path for e in version.files()] == ["model.bin"] and version.type == "optuna-artifact"
    assert version.producer_run == f"{PROJECT}/{runs[0]['id']}"  # made by the first trial that uploaded it
    for i in range(3):  # every trial's run logged it, so each is an edge in its lineage
        assert f"{PROJECT}/optuna-artifacts:v0" in api.run(f"{PROJECT}/{runs[i]['id']}").outputs

    # read back through Optuna: an input of the run that reads it
    with nbr.init(project=PROJECT, job_type="evaluate", root=reg_root) as reader:
        download_artifact(artifact_store=store, file_path=str(tmp_path / "back.bin"), artifact_id=ids[1])
    assert (tmp_path / "back.bin").read_bytes() == model.read_bytes()
    assert api.run(reader.path).inputs == [version.id]
    store_at = NbRegistryArtifactStore(project=PROJECT, root=reg_root)
    store_at.remove(ids[0])
    with pytest.raises(ArtifactNotFound, match=ids[0]):
        store_at.open_reader(ids[0])
    with pytest.raises(ArtifactNotFound):
        store_at.remove(ids[0])
    with store_at.open_reader(ids[2]) as f:
        assert f.read() == model.read_bytes()


def test_an_upload_outside_a_trial_run_gets_a_run_of_its_own_and_a_stream_works(reg_root: str, tmp_path: Path) -> None:
    import io

    store = NbRegistryArtifactStore(name="blobs", project=PROJECT, root=reg_root)
    store.write("a1", io.BytesIO(b"streamed"))
    api = nbr.Api(root=reg_root, project=PROJECT)
    art = api.artifact("blobs:a1")
    assert [e.path for e in art.files()] == ["a1"] and art.logged_by().job_type == "optuna-artifact"
    assert art.logged_by().state == "finished" and nbr.run is None
    other = nbr.init(project=PROJECT, root=str(tmp_path / "elsewhere"))
    with pytest.raises(nbr.InvalidSpecError, match="give the store root=None to follow the run"):
        store.write("a2", io.BytesIO(b"x"))
    assert other.state == "running", "the current run was left alone"
