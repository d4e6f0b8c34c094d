"""The Keras 3 callbacks with the real Keras on its torch backend, on the CPU: a two-layer model made here.

The monitored value (``val_score``, higher is better) is scripted per epoch (0.5, 0.8, 0.6, 0.7) by a callback that
runs before ours and writes it into the epoch's logs, as a metric would: the best epoch is 2, not the last.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nb_registry as nbr  # noqa: E402
from nb_registry.integrations.keras import NbRegistryMetricsLogger, NbRegistryModelCheckpoint  # noqa: E402

SCORE = [0.5, 0.8, 0.6, 0.7]  # epochs 1..4; best at epoch 2
PROJECT = "keras"


class Scripted(keras.callbacks.Callback):  # type: ignore[misc]
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["val_score"] = SCORE[epoch]


def data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def fit(*callbacks: Any, epochs: int = 4) -> Any:
    keras.backend.clear_session()  # layer names start again from "dense", as in a new process
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    x, y = data()
    model.fit(x, y, validation_data=(x, y), epochs=epochs, batch_size=8, verbose=0, shuffle=False,
              callbacks=[Scripted(), *callbacks])
    return model


def only_run(api: Any) -> Any:
    [record] = api.runs(PROJECT).to_records()
    return api.run(f"{PROJECT}/{record['id']}")


def test_model_checkpoint_logs_each_saved_file_with_best_on_the_best_epoch(reg_root: str, tmp_path: Path) -> None:
    ckpt = NbRegistryModelCheckpoint(str(tmp_path / "ck" / "e{epoch:02d}.weights.h5"), monitor="val_score", mode="max",
                                     save_weights_only=True, project=PROJECT, root=reg_root)
    assert isinstance(ckpt, keras.callbacks.ModelCheckpoint)
    fit(ckpt)
    api = nbr.Api(root=reg_root, project=PROJECT)
    run = only_run(api)
    assert run.state == "finished", "the callback started the run and finished it when fit ended"
    name = f"model-{run.id}"
    versions = api.artifact_versions(name)
    assert [v.metadata["epoch"] for v in versions] == [1, 2, 3, 4]
    assert [[e.path for e in v.files()] for v in versions] == [[f"e{i:02d}.weights.h5"] for i in (1, 2, 3, 4)]
    assert [v.metadata["value"] for v in versions] == SCORE
    assert [v.metadata["best_value"] for v in versions] == [0.5, 0.8, 0.8, 0.8]
    assert versions[0].metadata["mode"] == "max"
    assert api.artifact(f"{name}:best").metadata["epoch"] == 2 and api.artifact(f"{name}:latest").version == "v3"
    assert versions[1].metadata["logs"]["val_score"] == 0.8 and "val_loss" in versions[1].metadata["logs"]
    assert versions[1].metadata["ModelCheckpoint"]["save_weights_only"] is True
    for v in versions:
        graph = api.lineage(v.id)
        assert {(e["source"], e["kind"], e["target"]) for e in graph["edges"]} == {(f"run:{run.path}", "produced", f"artifact:{v.id}")}
        on_disk = tmp_path / "ck" / f"e{v.metadata['epoch']:02d}.weights.h5"
        assert (v.id, on_disk.name) in {(a.id, e) for a, e in api.find_by_content(str(on_disk))}
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    model.load_weights(api.artifact(f"{name}:best").get_entry("e02.weights.h5").download())  # a loadable checkpoint


def test_save_best_only_logs_the_improvements_of_one_file(reg_root: str, tmp_path: Path) -> None:
    """A ``.keras`` archive rewritten at the same path when the score improves: a version per save, none for the rest."""
    ckpt = NbRegistryModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_score", mode="max",
                                     save_best_only=True, project=PROJECT, root=reg_root)
    fit(ckpt)
    api = nbr.Api(root=reg_root, project=PROJECT)
    name = f"model-{only_run(api).id}"
    versions = api.artifact_versions(name)
    assert [v.metadata["epoch"] for v in versions] == [1, 2]  # epochs 3 and 4 did not improve: Keras saved nothing
    assert api.artifact(f"{name}:best").version == "v1" and "latest" in api.artifact(f"{name}:best").aliases
    restored = keras.saving.load_model(api.artifact(f"{name}:best").get_entry("best.keras").download())
    assert restored.count_params() == 49


def test_batch_level_saves_are_logged_with_their_batch(reg_root: str, tmp_path: Path) -> None:
    ckpt = NbRegistryModelCheckpoint(str(tmp_path / "s{epoch}-{batch}.weights.h5"), monitor="loss",
                                     save_weights_only=True, save_freq=2, project=PROJECT, root=reg_root)
    fit(ckpt, epochs=2)
    api = nbr.Api(root=reg_root, project=PROJECT)
    versions = api.artifact_versions(f"model-{only_run(api).id}")
    assert [(v.metadata["epoch"], v.metadata["batch"]) for v in versions] == [(1, 2), (1, 4), (2, 2), (2, 4)]
    losses = [v.metadata["value"] for v in versions]
    best = api.artifact(f"model-{only_run(api).id}:best")
    assert best.metadata["value"] == min(losses) and best.metadata["mode"] == "min"  # what "auto" chose for a loss


def test_metrics_logger_logs_epochs_and_batches(reg_root: str) -> None:
    fit(NbRegistryMetricsLogger(project=PROJECT, root=reg_root))
    api = nbr.Api(root=reg_root, project=PROJECT)
    run = only_run(api)
    rows = run.history().to_records()
    assert [r["_step"] for r in rows] == [0, 1, 2, 3] and [r["epoch/epoch"] for r in rows] == [0, 1, 2, 3]
    assert [r["epoch/val_score"] for r in rows] == SCORE  # the logs as every callback after Scripted saw them
    assert all(r["epoch/learning_rate"] == pytest.approx(0.01) for r in rows)
    assert all(r["epoch/loss"] > 0 and r["epoch/val_loss"] > 0 for r in rows)
    assert run.config["model/num_parameters"] == 49 and run.config["optimizer"]["class"] == "SGD"
    assert run.state == "finished"

    # a second fit, logging every 2 batches (4 batches an epoch)
    fit(NbRegistryMetricsLogger(log_freq=2, project="keras-batches", root=reg_root), epochs=2)
    [record] = api.runs("keras-batches").to_records()
    rows = api.run(f"keras-batches/{record['id']}").history().to_records()
    assert [(r["_step"], r.get("batch/batch_step") is not None, r.get("epoch/epoch")) for r in rows] == [
        (2, True, None), (4, True, 0), (6, True, None), (8, True, 1)]
    with pytest.raises(nbr.InvalidSpecError, match="log_freq"):
        NbRegistryMetricsLogger(log_freq="step")


def test_both_callbacks_log_into_the_users_run_and_leave_it_open(reg_root: str, tmp_path: Path) -> None:
    with nbr.init(project=PROJECT, name="mine", root=reg_root) as run:
        fit(NbRegistryMetricsLogger(), NbRegistryModelCheckpoint(str(tmp_path / "m.weights.h5"), monitor="val_score",
                                                                  mode="max", save_weights_only=True))
        assert run.state == "running"
    api = nbr.Api(root=reg_root, project=PROJECT)
    assert len(api.runs(PROJECT)) == 1 and len(api.run(run.path).history()) == 4
    versions = api.artifact_versions(f"model-{run.id}")
    assert len(versions) == 4 and api.artifact(f"model-{run.id}:best").metadata["epoch"] == 2


def test_a_second_identical_run_adds_no_bytes(reg_root: str, tmp_path: Path) -> None:
    def once(folder: str) -> list[str]:
        fit(NbRegistryModelCheckpoint(str(tmp_path / folder / "e{epoch}.weights.h5"), monitor="val_score",
                                      mode="max", save_weights_only=True, project=PROJECT, root=reg_root))
        api = nbr.Api(root=reg_root, project=PROJECT)
        latest = max(api.runs(PROJECT).to_records(), key=lambda r: r["started_at"])
        return [e.digest for v in api.artifact_versions(f"model-{latest['id']}") for e in v.files()]

    first = once("a")
    blobs = Path(reg_root) / "blobs"
    before = {p.parent.name + p.name for p in blobs.rglob("*") if p.is_file()}
    second = once("b")
    after = {p.parent.name + p.name for p in blobs.rglob("*") if p.is_file()}
    assert first == second and len(second) == 4
    assert not (after - before) & set(second), "the weights of the second run were all stored already"
