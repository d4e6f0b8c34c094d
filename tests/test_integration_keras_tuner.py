"""The KerasTuner mixin with the real KerasTuner and Keras 3 (torch backend) on the CPU: a random search of three
trials over a two-layer model made here.

The objective (``val_score``, higher is better) is scripted per trial and epoch by a callback that writes it into the
epoch's logs: trial 1 is the best (0.9, at its first epoch, not its last), and it is not the last trial.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402

import nb_registry as nbr  # noqa: E402
from nb_registry.integrations.keras_tuner import RunPerTrial  # noqa: E402

SCORES = [[0.3, 0.5], [0.9, 0.6], [0.4, 0.7]]  # per trial, per epoch
PROJECT = "search"


class Scripted(keras.callbacks.Callback):  # type: ignore[misc]
    fits: list[int] = []  # shared by the copies KerasTuner makes for each trial

    def on_train_begin(self, logs: Any = None) -> None:
        self.trial = len(Scripted.fits)
        Scripted.fits.append(1)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["val_score"] = SCORES[self.trial][epoch]


class Tuner(RunPerTrial, keras_tuner.RandomSearch):  # type: ignore[misc]
    pass


def build(hp: Any) -> Any:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(hp.Choice("units", [2, 4, 8]), activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(hp.Float("lr", 1e-3, 1e-1, sampling="log")), loss="mse")
    return model


def search(reg_root: str, tmp_path: Path) -> Tuner:
    Scripted.fits.clear()
    keras.utils.set_random_seed(0)
    Tuner.nb_registry_root = reg_root
    tuner = Tuner(build, objective=keras_tuner.Objective("val_score", "max"), max_trials=3, seed=1,
                  directory=str(tmp_path / "kt"), project_name=PROJECT, overwrite=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    tuner.search(x, y, validation_data=(x, y), epochs=2, batch_size=8, verbose=0, callbacks=[Scripted()])
    return tuner


def test_each_trial_is_a_run_the_best_trials_checkpoint_carries_best_and_the_chart_shows_the_search(reg_root: str, tmp_path: Path) -> None:
    tuner = search(reg_root, tmp_path)
    api = nbr.Api(root=reg_root, project=PROJECT)
    runs = api.runs(PROJECT, order="started_at").to_records()
    trials = tuner.oracle.get_best_trials(3)
    assert len(runs) == 3 == len(trials) and {r["state"] for r in runs} == {"finished"}
    assert {r["job_type"] for r in runs} == {"tuner-trial"} and all(PROJECT in r["tags"] for r in runs)
    by_trial = {r["summary.trial_id"]: r for r in runs}
    for t in trials:  # config = the trial's hyperparameters, summary = its score
        r = by_trial[t.trial_id]
        assert (r["config.units"], r["config.lr"]) == (t.hyperparameters.values["units"], t.hyperparameters.values["lr"])
        assert r["summary.score"] == t.score and r["summary.status"] == "COMPLETED"
    assert sorted(r["summary.score"] for r in runs) == [0.5, 0.7, 0.9]
    best_run = max(runs, key=lambda r: r["summary.score"])
    assert best_run["name"] == runs[1]["name"] and best_run["summary.best_step"] == 0  # trial 1, its first epoch
    history = api.run(f"{PROJECT}/{best_run['id']}").history().to_records()
    assert [r["epoch/val_score"] for r in history] == [0.9, 0.6]

    name = f"{PROJECT}-model"
    versions = api.artifact_versions(name)
    assert len(versions) == 3 and [v.producer_run for v in versions] == [f"{PROJECT}/{r['id']}" for r in runs]
    best = api.artifact(f"{name}:best")
    assert best.metadata["trial_id"] == trials[0].trial_id and best.metadata["score"] == 0.9
    assert best.version == "v1" and api.artifact(f"{name}:latest").version == "v2"
    assert [(h["from"], h["to"]) for h in api.registry.alias_history(name, PROJECT) if h["alias"] == "best"] == [
        (None, 0), (0, 1)], "best followed the oracle's best trial as the search went"
    assert {e.path for e in best.files()} == {"checkpoint.weights.h5", "build_config.json", "trial.json"}
    # the version holds the weights KerasTuner kept for the best trial (its best epoch)
    model = build(keras_tuner.HyperParameters.from_config(trials[0].hyperparameters.get_config()))
    model.load_weights(best.get_entry("checkpoint.weights.h5").download())
    kept = tuner.get_best_models(1)[0]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), kept.get_weights()))
    edges = {(e["source"], e["kind"], e["target"]) for e in api.lineage(best.id)["edges"]}
    assert edges == {(f"run:{PROJECT}/{best_run['id']}", "produced", f"artifact:{best.id}")}

    # the run table and the parallel-coordinates chart of the search (seed 002's W&B panels)
    from nb_registry.widgets.charts import parallel_coordinates_figure

    rows = api.runs(PROJECT, order="-summary.score").to_records()
    assert [r["summary.score"] for r in rows] == [0.9, 0.7, 0.5]
    fig = parallel_coordinates_figure(rows, ["config.units", "config.lr"], "summary.score")
    dims = {d["label"]: list(d["values"]) for d in fig.to_plotly_json()["data"][0]["dimensions"]}
    assert set(dims) == {"units", "lr", "score"} and dims["score"] == [0.9, 0.7, 0.5]
    assert "3 runs" in fig.layout.title.text
