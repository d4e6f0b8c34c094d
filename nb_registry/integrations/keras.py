"""Keras 3, any backend: ``NbRegistryMetricsLogger`` and ``NbRegistryModelCheckpoint``, two callbacks for ``fit``.

    import keras
    from nb_registry.integrations.keras import NbRegistryMetricsLogger, NbRegistryModelCheckpoint

    model.fit(x, y, validation_data=(xv, yv), epochs=10, callbacks=[
        NbRegistryMetricsLogger(),
        NbRegistryModelCheckpoint("ckpt/epoch-{epoch:02d}.weights.h5", monitor="val_loss", save_weights_only=True),
    ])                                        # model-<run id>:latest, :best

``NbRegistryMetricsLogger(log_freq="epoch")`` logs ``epoch/<metric>`` (and the learning rate) each epoch, and
with ``log_freq="batch"`` or every N batches ``batch/<metric>`` too, at the number of batches seen (at the epoch
with ``"epoch"``), as W&B's ``WandbMetricsLogger`` names them. ``NbRegistryModelCheckpoint`` is
``keras.callbacks.ModelCheckpoint`` (same arguments) that also logs each file it actually saved (a save is seen
by the file's path, size, mtime and inode changing) as a version, with ``latest`` on the newest and ``best`` on
the best monitored value (``mode``, or what ``"auto"`` chose); metadata: monitor, mode, value, best value,
epoch (counted from 1, as Keras names files), batch, the epoch's logs and the callback's settings. A ``.keras``
archive records the time it was saved, so two saves of the same weights differ; ``.weights.h5`` files do not
(``save_weights_only=True``), and are stored once.

Unlike W&B's callbacks (written for TensorFlow's Keras), these use only Keras 3's own API and work on any
backend. Both log into the user's run (``nbr.init``) when there is one; else the first to need it starts one
when ``fit`` begins and finishes it when ``fit`` ends.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from nb_registry.errors import InvalidSpecError

from ._common import CheckpointLog, StepHistory, active_run, jsonable, open_run, score_of, signature

try:
    import keras
except ImportError as e:
    raise ImportError("nb_registry.integrations.keras needs Keras 3: pip install keras "
                      "(or pip install 'nb-registry[keras]') and a backend (KERAS_BACKEND=torch, jax or tensorflow)") from e

__all__ = ["NbRegistryMetricsLogger", "NbRegistryModelCheckpoint"]

SETTINGS = ("filepath", "monitor", "mode", "save_best_only", "save_weights_only", "save_freq")


class _RunUser:
    """The run a callback logs into: the live one, else one it starts in ``on_train_begin`` and finishes in
    ``on_train_end``."""

    def _open(self, model: Any) -> Any:
        run = active_run()
        if run is None:
            config = {"model/num_parameters": _count_params(model), "optimizer": _optimizer_config(model)}
            run, self._owned = open_run(self._project, "keras", self._run_name, config=config, root=self._root,
                                        **self._init_kwargs)
        else:
            self._owned = False
        self._run = run
        return run

    def _close(self) -> None:
        if getattr(self, "_owned", False) and self._run is not None and self._run.state == "running":
            self._run.finish()
        self._owned = False

    def _setup_run(self, project: str | None, root: str | None, name: str | None, init_kwargs: Mapping[str, Any]) -> None:
        self._project, self._root, self._run_name = project, root, name
        self._init_kwargs = {"job_type": "train", **init_kwargs}
        self._run: Any = None
        self._owned = False


class NbRegistryMetricsLogger(_RunUser, keras.callbacks.Callback):  # type: ignore[misc]
    """Log ``fit``'s metrics into the run's history. See the module docstring.

    ``log_freq``: ``"epoch"``, ``"batch"`` or a number of batches; ``project``, ``root``, ``name`` and
    ``init_kwargs`` are for a run this callback starts."""

    def __init__(self, log_freq: str | int = "epoch", project: str | None = None, root: str | None = None,
                 name: str | None = None, **init_kwargs: Any) -> None:
        super().__init__()
        if log_freq not in ("epoch", "batch") and not (isinstance(log_freq, int) and log_freq > 0):
            raise InvalidSpecError(f"log_freq must be 'epoch', 'batch' or a number of batches, not {log_freq!r}")
        self.log_freq = 1 if log_freq == "batch" else log_freq
        self._setup_run(project, root, name, init_kwargs)
        self._batches = 0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._open(self.model)
        self._batches = 0
        self._history = StepHistory("keras/step")  # a second fit into the same run gets rows of its own

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches += 1
        if self.log_freq != "epoch" and self._batches % int(self.log_freq) == 0 and logs:
            row = {f"batch/{k}": v for k, v in logs.items()}
            self._history.log(self._run, jsonable({**row, "batch/batch_step": self._batches}), self._batches)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        row = {f"epoch/{k}": v for k, v in (logs or {}).items()}
        lr = _learning_rate(self.model)
        if lr is not None:
            row["epoch/learning_rate"] = lr
        step = epoch if self.log_freq == "epoch" else self._batches
        self._history.log(self._run, jsonable({**row, "epoch/epoch": epoch}), step)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self._close()


class NbRegistryModelCheckpoint(_RunUser, keras.callbacks.ModelCheckpoint):  # type: ignore[misc]
    """``keras.callbacks.ModelCheckpoint`` that logs each saved file as a version. See the module docstring.

    ``name``: the collection (``model-<run id>``); ``project``, ``root``, ``run_name`` and ``init_kwargs`` are
    for a run this callback starts; everything else goes to ``ModelCheckpoint``."""

    def __init__(self, filepath: str, monitor: str = "val_loss", *, name: str | None = None,
                 project: str | None = None, root: str | None = None, run_name: str | None = None,
                 init_kwargs: Mapping[str, Any] | None = None, **checkpoint_kwargs: Any) -> None:
        super().__init__(filepath, monitor=monitor, **checkpoint_kwargs)
        self._setup_run(project, root, run_name, init_kwargs or {})
        self._collection = name
        self._log: CheckpointLog | None = None
        self._epoch = 0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        self._open(self.model)
        self._log = None  # a collection per run

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        super().on_epoch_begin(epoch, logs)
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        path, before = self._about_to_save(self._epoch, batch, logs)
        super().on_train_batch_end(batch, logs)
        self._log_if_saved(path, before, self._epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        path, before = self._about_to_save(epoch, None, logs)
        super().on_epoch_end(epoch, logs)
        self._log_if_saved(path, before, epoch, None, logs)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        super().on_train_end(logs)
        self._close()

    # -- detecting and logging a save ------------------------------------------------------------------
    def _about_to_save(self, epoch: int, batch: int | None, logs: Mapping[str, Any] | None) -> tuple[str | None, Any]:
        """The file a save now would write (the template filled in as Keras fills it) and its signature."""
        values = dict(logs or {})
        try:
            if batch is None or "batch" in values:
                path = self.filepath.format(epoch=epoch + 1, **values)
            else:
                path = self.filepath.format(epoch=epoch + 1, batch=batch + 1, **values)
        except (KeyError, IndexError, ValueError):
            return None, None  # Keras raises its own error for a template it cannot fill
        return path, signature(path) if os.path.isfile(path) else None

    def _log_if_saved(self, path: str | None, before: Any, epoch: int, batch: int | None,
                      logs: Mapping[str, Any] | None) -> None:
        if path is None or not os.path.isfile(path) or signature(path) == before:
            return
        if self._log is None:
            self._log = CheckpointLog(self._collection or f"model-{self._run.id}", "model", self._mode())
        self._log.mode = self._mode()
        current = (logs or {}).get(self.monitor)
        improved = self._log.improves(current)
        best = score_of(current) if improved else self._log.best_score
        meta = {"monitor": self.monitor, "mode": self._mode(), "value": score_of(current), "best_value": best,
                "epoch": epoch + 1, "batch": None if batch is None else batch + 1, "logs": jsonable(dict(logs or {})),
                "ModelCheckpoint": {k: jsonable(getattr(self, k)) for k in SETTINGS if hasattr(self, k)}}
        self._log.log(self._run, path, score=current, best=improved, metadata=meta)

    def _mode(self) -> str:
        """``min`` or ``max``: the mode given, else what Keras's ``"auto"`` chose for the monitor (it chooses at
        the first epoch's end; a save before that guesses from the name, as Keras does for losses)."""
        if self.mode in ("min", "max"):
            return self.mode
        if self.monitor_op is None:
            return "max" if any(w in self.monitor for w in ("acc", "auc", "precision", "recall", "f1")) else "min"
        return "max" if self.monitor_op is keras.ops.greater else "min"


def _count_params(model: Any) -> int | None:
    try:
        return int(model.count_params())
    except (AttributeError, ValueError):
        return None


def _optimizer_config(model: Any) -> Any:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        return jsonable({"class": type(optimizer).__name__, **optimizer.get_config()})
    except (AttributeError, TypeError, ValueError):
        return type(optimizer).__name__


def _learning_rate(model: Any) -> float | None:
    optimizer = getattr(model, "optimizer", None)
    lr = getattr(optimizer, "learning_rate", None)
    if lr is None:
        return None
    try:
        return score_of(keras.ops.convert_to_numpy(lr))
    except (TypeError, ValueError):
        return None
