"""KerasTuner: ``RunPerTrial``, a mixin that makes each trial of a search a run, its best checkpoint a version.

    import keras_tuner
    from nb_registry.integrations.keras_tuner import RunPerTrial

    class Tuner(RunPerTrial, keras_tuner.RandomSearch):
        pass

    tuner = Tuner(build_model, objective="val_accuracy", max_trials=20, project_name="blood-cells")
    tuner.search(x, y, validation_data=(xv, yv), epochs=10)
    api.runs("blood-cells", order="-summary.score")          # one run per trial; blood-cells-model:best

This is what seed 002's ``WandBTuner`` does by overriding ``run_trial``, without the glue: each trial is a run
(job type ``tuner-trial``) whose config is the trial's hyperparameters (and the tuner in ``config.tuner``), whose
history is each epoch's metrics (``NbRegistryMetricsLogger``), and whose summary holds the trial's score, status,
best step and the best value of each metric. The checkpoint KerasTuner keeps for the trial (the weights of its
best epoch, with the build config and ``trial.json``) is a version of ``<project_name>-model``, whose ``best``
follows the oracle's best trial as the search goes and is checked again when ``search()`` ends. A failed
trial's run ends ``failed``. Class attributes choose where: ``nb_registry_project`` (default: the tuner's
``project_name``), ``nb_registry_root``, ``nb_registry_collection``.
"""

from __future__ import annotations

import os
from typing import Any

import nb_registry as nbr

from ._common import CheckpointLog, jsonable, safe_name
from .keras import NbRegistryMetricsLogger

try:
    import keras_tuner  # noqa: F401  (the tuner classes this mixes into)
except ImportError as e:
    raise ImportError("nb_registry.integrations.keras_tuner needs KerasTuner: pip install keras-tuner "
                      "(or pip install 'nb-registry[keras-tuner]')") from e

__all__ = ["RunPerTrial"]

CHECKPOINT_FILES = ("checkpoint", "checkpoint.weights.h5", "build_config.json", "trial.json")
FAILED = ("FAILED", "INVALID")


class RunPerTrial:
    """Mix in before a KerasTuner tuner class: ``class Tuner(RunPerTrial, keras_tuner.RandomSearch)``."""

    nb_registry_project: str | None = None
    nb_registry_root: str | None = None
    nb_registry_collection: str | None = None

    # -- the search -----------------------------------------------------------------------------------
    def _nbr_project(self) -> str:
        return safe_name(self.nb_registry_project or getattr(self, "project_name", None) or "keras-tuner", "keras-tuner")

    def _nbr_log(self) -> CheckpointLog:
        log = getattr(self, "_nbr_checkpoints", None)
        if log is None:
            mode = "max" if getattr(self.oracle.objective, "direction", "min") == "max" else "min"
            log = self._nbr_checkpoints = CheckpointLog(self.nb_registry_collection or f"{self._nbr_project()}-model",
                                                        "model", mode)
        return log

    def on_trial_begin(self, trial: Any) -> None:
        super().on_trial_begin(trial)  # type: ignore[misc]
        objective = self.oracle.objective
        config = {**jsonable(trial.hyperparameters.values),
                  "tuner": {"class": type(self).__name__, "project_name": getattr(self, "project_name", None),
                            "objective": getattr(objective, "name", str(objective)),
                            "direction": getattr(objective, "direction", None)}}
        self._nbr_run = nbr.init(project=self._nbr_project(), name=f"trial-{trial.trial_id}", job_type="tuner-trial",
                                 config=config, tags=["keras-tuner", self._nbr_project()], root=self.nb_registry_root)

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), NbRegistryMetricsLogger()]
        return super().run_trial(trial, *args, **kwargs)  # type: ignore[misc]

    def on_trial_end(self, trial: Any) -> None:
        super().on_trial_end(trial)  # type: ignore[misc]  (the oracle scores the trial here)
        run = getattr(self, "_nbr_run", None)
        if run is None or run.state != "running":
            return
        try:
            run.set_summary(**self._trial_summary(trial))
            self._log_checkpoint(run, trial)
        finally:
            run.finish(exit_code=1 if str(trial.status) in FAILED else 0)
            self._nbr_run = None

    def on_search_end(self) -> None:
        super().on_search_end()  # type: ignore[misc]
        best = self.oracle.get_best_trials(1)
        log = getattr(self, "_nbr_checkpoints", None)
        if best and log is not None:
            log.mark_best(self.get_trial_dir(best[0].trial_id), best[0].score)

    # -- one trial ------------------------------------------------------------------------------------
    def _trial_summary(self, trial: Any) -> dict[str, Any]:
        summary: dict[str, Any] = {"score": trial.score, "status": str(trial.status), "best_step": trial.best_step,
                                   "trial_id": trial.trial_id}
        for name in getattr(trial.metrics, "metrics", {}):
            try:
                summary[f"best/{name}"] = trial.metrics.get_best_value(name)
            except (KeyError, ValueError):
                continue
        return jsonable(summary)

    def _log_checkpoint(self, run: Any, trial: Any) -> None:
        folder = self.get_trial_dir(trial.trial_id)
        if not any(os.path.isfile(os.path.join(folder, f)) for f in CHECKPOINT_FILES[:2]):
            return  # a trial that saved no weights (it failed, or returned a plain number)
        best = self.oracle.get_best_trials(1)
        is_best = bool(best) and best[0].trial_id == trial.trial_id
        meta = {"trial_id": trial.trial_id, "score": trial.score, "best_step": trial.best_step,
                "status": str(trial.status), "hyperparameters": trial.hyperparameters.values,
                "objective": getattr(self.oracle.objective, "name", None)}
        log = self._nbr_log()
        log.log(run, folder, score=trial.score, best=is_best, metadata=meta, aliases=[f"trial-{trial.trial_id}"],
                include=lambda rel: rel in CHECKPOINT_FILES)
        if best and not is_best:
            log.mark_best(self.get_trial_dir(best[0].trial_id), best[0].score)
