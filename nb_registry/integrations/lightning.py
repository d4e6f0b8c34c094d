"""Lightning: ``NbRegistryLogger``, a ``Logger`` that tracks the run and logs checkpoints as versions.

    from lightning.pytorch import Trainer
    from lightning.pytorch.callbacks import ModelCheckpoint
    from nb_registry.integrations.lightning import NbRegistryLogger

    logger = NbRegistryLogger(project="mnist", log_model="all")
    trainer = Trainer(logger=logger, callbacks=[ModelCheckpoint(monitor="val_loss", mode="min", save_top_k=2)])
    trainer.fit(model, datamodule)            # checkpoints: model-<run id>:latest, :best

Hyperparameters go into the run's config, metrics into its history at the trainer's global step, and
``finalize(status)`` finishes the run (``failed`` after an exception). ``log_model=True`` logs the
checkpoints ``ModelCheckpoint`` kept once training ends (also when it failed: they are not lost);
``"all"`` logs each as it is written; ``False`` none. Each checkpoint is a version of one collection per
run (``model-<run id>``, or ``checkpoint_name``), stored as ``model.ckpt``, with ``latest`` on the newest and
``best`` on ``ModelCheckpoint.best_model_path`` (a second ``ModelCheckpoint`` with another monitor gets
``best-<monitor>``); its metadata holds the score, monitor, mode, epoch, global step and the callback's
settings. An unchanged checkpoint file is not logged again. Only global rank 0 writes. No network is used:
unlike W&B's logger, ``log_model`` works offline.

``lightning.pytorch`` is used where it is installed, else ``pytorch_lightning``; the logger works with
either package's ``Trainer``.
"""

from __future__ import annotations

import os
import weakref
from typing import Any, Mapping

from nb_registry.errors import InvalidSpecError

from ._common import CheckpointLog, StepHistory, jsonable, open_run, safe_name, score_of, signature

try:
    from lightning.pytorch.loggers import Logger
except ImportError:  # the standalone package
    try:
        from pytorch_lightning.loggers import Logger
    except ImportError as e:
        raise ImportError("nb_registry.integrations.lightning needs Lightning: pip install lightning "
                          "(or pip install 'nb-registry[lightning]')") from e
from lightning_utilities.core.rank_zero import rank_zero_only

__all__ = ["NbRegistryLogger"]

SETTINGS = ("monitor", "mode", "save_last", "save_top_k", "save_weights_only", "every_n_epochs",
            "_every_n_train_steps", "_every_n_epochs", "_train_time_interval", "filename", "dirpath")
STATUS_EXIT = {"success": 0, "finished": 0, "failed": 1}


def _rank() -> int:
    """The global rank Lightning's strategy set (shared by ``lightning`` and ``pytorch_lightning``)."""
    return int(getattr(rank_zero_only, "rank", 0) or 0)


class _NotRankZero:
    """What ``logger.experiment`` is on other ranks: every method does nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class NbRegistryLogger(Logger):
    """Log a Lightning training into nb_registry. See the module docstring.

    ``project``: the run's project (``NB_REGISTRY_PROJECT``, else ``lightning_logs``); ``name``: the run's
    name; ``root``: the registry (``NB_REGISTRY_ROOT``, else ``~/.nb_registry``); ``experiment``: a live run
    to log into instead of starting one (a live run started with ``nbr.init`` is reused too, and is then
    not finished by this logger); ``save_dir``: where ``ModelCheckpoint`` writes by default;
    ``prefix``: put before every metric name; ``init_kwargs``: ``job_type``, ``tags``, ``notes``, ``config``."""

    LOGGER_JOIN_CHAR = "-"

    def __init__(self, project: str | None = None, name: str | None = None, log_model: bool | str = False,
                 root: str | None = None, save_dir: str | None = None, prefix: str = "",
                 checkpoint_name: str | None = None, experiment: Any = None, **init_kwargs: Any) -> None:
        if log_model not in (False, True, "all"):
            raise InvalidSpecError(f"log_model must be False, True or 'all', not {log_model!r}")
        super().__init__()
        self._project = project or os.environ.get("NB_REGISTRY_PROJECT") or "lightning_logs"
        self._run_name, self._root, self._save_dir = name, root, None if save_dir is None else os.fspath(save_dir)
        self._log_model, self._prefix, self._checkpoint_name = log_model, prefix, checkpoint_name
        self._init_kwargs = {"job_type": "train", **init_kwargs}
        self._run, self._owned = experiment, False
        self._history = StepHistory("trainer/global_step")
        self._pending: dict[str, Any] = {}  # log_model=True: callbacks to scan at the end, by state key
        self._logs: dict[str, CheckpointLog] = {}  # per ModelCheckpoint (state key)
        self._saved_at: dict[str, tuple[int | None, int | None]] = {}  # checkpoint path -> (epoch, global step)
        self._written: dict[str, tuple[Any, ...]] = {}  # checkpoint path -> its signature at the last save seen
        self._module: Any = None  # weak reference to the LightningModule, for the trainer's epoch and step
        self._by_path: dict[str, Any] = {}  # checkpoint path -> the version logged from it, across runs

    def __getstate__(self) -> dict[str, Any]:
        """Picklable for ``ddp_spawn``: the run stays behind; rank 0's worker starts its own."""
        state = self.__dict__.copy()
        state.update(_run=None, _owned=False, _module=None)
        return state

    # -- the Logger interface ---------------------------------------------------------------------------
    @property
    def experiment(self) -> Any:
        """The nb_registry ``Run`` (started on first use, on global rank 0 only; finished by ``finalize``)."""
        if _rank() > 0:
            return _NotRankZero()
        if self._run is None:
            self._start()
        return self._run

    def _start(self) -> None:
        self._run, self._owned = open_run(self._project, "lightning_logs", self._run_name, root=self._root,
                                          **self._init_kwargs)
        self._logs.clear()
        self._history = StepHistory("trainer/global_step")

    def _live(self) -> Any:
        """The run to write to: after ``finalize`` finished this logger's run, a later stage (``trainer.test``
        after ``fit``) starts a new one with the same settings."""
        run = self.experiment
        if self._owned and run.state != "running":
            self._start()
        return self._run

    @property
    def name(self) -> str:
        """The project (as ``WandbLogger.name``): checkpoints go to ``save_dir/<project>/<run id>/checkpoints``."""
        return safe_name(self._project, "lightning_logs")

    @property
    def version(self) -> str | None:
        return None if _rank() > 0 else self.experiment.id

    @property
    def save_dir(self) -> str | None:
        return self._save_dir

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        if _rank() > 0:
            return
        if not isinstance(params, Mapping):
            params = vars(params) if hasattr(params, "__dict__") else {"hparams": params}
        self._live().update_config(jsonable(dict(params)))

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        if _rank() > 0:
            return
        row = {(f"{self._prefix}{self.LOGGER_JOIN_CHAR}{k}" if self._prefix else k): v for k, v in metrics.items()}
        self._history.log(self._live(), row, step)

    def log_graph(self, model: Any, input_array: Any = None) -> None:
        """Lightning calls this with the module when a stage starts: remember it (for the epoch and step of
        checkpoints), and record a checkpoint this logger logged, restored with ``ckpt_path``, as an input."""
        try:
            self._module = weakref.ref(model)
        except TypeError:
            self._module = None
        trainer = self._trainer()
        restored = getattr(trainer, "ckpt_path", None) if trainer is not None else None
        if _rank() == 0 and restored and os.path.abspath(restored) in self._by_path:
            self._live().use_artifact(self._by_path[os.path.abspath(restored)])

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """Called by ``ModelCheckpoint`` (on global rank 0) after each save."""
        if _rank() > 0:
            return
        self._remember_epochs(checkpoint_callback)
        if self._log_model == "all" or (self._log_model is True and checkpoint_callback.save_top_k == -1):
            self._scan_and_log(checkpoint_callback)
        elif self._log_model is True:
            self._pending[self._key(checkpoint_callback)] = checkpoint_callback

    def finalize(self, status: str) -> None:
        """End of a stage: log the kept checkpoints (``log_model=True``) and finish the run with ``status``."""
        if _rank() > 0 or self._run is None:
            return
        try:
            for callback in list(self._pending.values()):
                self._scan_and_log(callback)
            self._pending.clear()
        finally:
            if self._owned and self._run.state == "running":
                self._run.finish(exit_code=STATUS_EXIT.get(status, 1))

    # -- checkpoints ------------------------------------------------------------------------------------
    @staticmethod
    def _key(callback: Any) -> str:
        return str(getattr(callback, "state_key", id(callback)))

    def _trainer(self) -> Any:
        module = self._module() if self._module is not None else None
        try:
            return module.trainer if module is not None else None
        except RuntimeError:  # not attached to a trainer (any more)
            return None

    def _trainer_position(self) -> tuple[int | None, int | None]:
        trainer = self._trainer()
        if trainer is None:
            return None, None
        return int(trainer.current_epoch), int(trainer.global_step)

    def _remember_epochs(self, callback: Any) -> None:
        """Note the epoch and step of the files this save wrote (for ``log_model=True``, logged later)."""
        epoch, step = self._trainer_position()
        if step is None:
            step = getattr(callback, "_last_global_step_saved", None)
        for path in _candidates(callback):
            sig = signature(path)
            if self._written.get(path) != sig:
                self._written[path], self._saved_at[path] = sig, (epoch, step)

    def _log_for(self, callback: Any) -> CheckpointLog:
        key = self._key(callback)
        if key not in self._logs:
            first = not self._logs
            monitor = getattr(callback, "monitor", None)
            alias = "best" if first else f"best-{safe_name(monitor or len(self._logs), 'checkpoint')}"
            mode = getattr(callback, "mode", "min") if getattr(callback, "mode", "min") in ("min", "max") else "min"
            self._logs[key] = CheckpointLog(self._checkpoint_name or f"model-{self.experiment.id}", "model", mode, alias)
        return self._logs[key]

    def _scan_and_log(self, callback: Any) -> None:
        """Log every kept checkpoint that is new or changed, oldest first; ``best`` on ``best_model_path``."""
        run = self._live()
        log = self._log_for(callback)
        best_path = os.path.abspath(callback.best_model_path) if callback.best_model_path else None
        found = [(os.path.getmtime(p), p, s) for p, s in _candidates(callback).items() if log.changed(p)]
        for _, path, score in sorted(found):
            epoch, step = self._saved_at.get(path, (None, None))
            meta = {"score": score_of(score), "original_filename": os.path.basename(path), "epoch": epoch,
                    "global_step": step, "monitor": getattr(callback, "monitor", None),
                    "mode": getattr(callback, "mode", None),
                    callback.__class__.__name__: {k.lstrip("_"): jsonable(_portable(k, getattr(callback, k)))
                                              for k in SETTINGS if hasattr(callback, k)}}
            logged = log.log(run, path, score=score, best=os.path.abspath(path) == best_path, metadata=meta,
                             entry_name="model.ckpt")
            if logged is not None:
                self._by_path[path] = logged
        if best_path is not None:
            log.mark_best(best_path, callback.best_model_score)


def _portable(key: str, value: Any) -> Any:
    """A checkpoint folder as a teammate reading the shared registry can use it: relative to the working
    folder when it lies inside it (Lightning makes every dirpath absolute), else as it is."""
    if key != "dirpath" or not isinstance(value, str) or not os.path.isabs(value):
        return value
    rel = os.path.relpath(value, os.getcwd())
    return rel if not rel.startswith(os.pardir) else value


def _candidates(callback: Any) -> dict[str, Any]:
    """The checkpoint files ``callback`` keeps (absolute path -> score), as W&B's and MLflow's loggers scan them."""
    out: dict[str, Any] = {}
    if getattr(callback, "last_model_path", None):
        out[callback.last_model_path] = getattr(callback, "current_score", None)
    if getattr(callback, "best_model_path", None):
        out[callback.best_model_path] = getattr(callback, "best_model_score", None)
    for path, score in (getattr(callback, "best_k_models", None) or {}).items():
        out[path] = score
    return {os.path.abspath(p): s for p, s in out.items() if p and os.path.isfile(p)}
