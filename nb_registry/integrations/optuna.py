"""Optuna: ``NbRegistryCallback`` (a run per trial) and ``NbRegistryArtifactStore`` (artifacts as versions).

    import optuna
    from nb_registry.integrations.optuna import NbRegistryArtifactStore, NbRegistryCallback

    callback = NbRegistryCallback(metric_name="val_loss", project="hpo")
    store = NbRegistryArtifactStore(project="hpo")

    @callback.track_in_nb_registry()          # optional: the trial's run is open while the objective runs
    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        path = save_model(...)
        optuna.artifacts.upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)
        return (x - 2) ** 2

    optuna.create_study(study_name="quad").optimize(objective, n_trials=20, callbacks=[callback])

The callback has the shape of Optuna's W&B and MLflow callbacks. With ``as_multirun=True`` each trial is a run
(job type ``optuna-trial``, named ``trial-N``, tagged with the study) whose config is the trial's parameters (and
the study in ``config.optuna``), whose summary holds its values, state, number and user attributes, and whose
history holds the intermediate values the trial reported, at their steps (W&B's callback drops those). A failed
trial's run ends ``failed``. With ``as_multirun=False`` the study is one run with a row per trial at
``step = trial.number``. ``track_in_nb_registry()`` opens the trial's run before the objective runs, so that
what the objective logs (metrics, artifacts, a Lightning or Keras integration) goes into it. Use
``n_jobs=1``: a process has one current run.

``NbRegistryArtifactStore`` is Optuna's artifact-store protocol (``write``, ``open_reader``, ``remove``) over
the registry: each upload is a version of the collection ``optuna-artifacts`` whose alias is Optuna's artifact
id, stored content-addressed (the same file uploaded by two trials is stored once, one version with both ids),
produced by the run that is current (the trial's, with ``track_in_nb_registry``); reading one records it as
an input of the current run. ``remove`` takes the id off; the bytes stay until ``gc``, as every version's do.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import warnings
from typing import Any, BinaryIO, Callable, Sequence

import nb_registry as nbr
from nb_registry.errors import InvalidSpecError, NotFoundError

from ._common import jsonable, safe_name

try:
    import optuna
    from optuna.artifacts.exceptions import ArtifactNotFound
except ImportError as e:
    raise ImportError("nb_registry.integrations.optuna needs Optuna: pip install optuna "
                      "(or pip install 'nb-registry[optuna]')") from e

__all__ = ["NbRegistryCallback", "NbRegistryArtifactStore"]

TRIAL_JOB = "optuna-trial"


class NbRegistryCallback:
    """Track an Optuna study in nb_registry. See the module docstring.

    ``metric_name``: a name for the objective value, or one name per objective (``value_0``, ``value_1`` ... by
    default when there are several); ``project`` (``NB_REGISTRY_PROJECT``, else ``optuna``), ``root`` and
    ``init_kwargs`` (``tags``, ``notes``, ``job_type``) are for the runs it starts."""

    def __init__(self, metric_name: str | Sequence[str] = "value", as_multirun: bool = True,
                 project: str | None = None, root: str | None = None, **init_kwargs: Any) -> None:
        if not isinstance(metric_name, (str, Sequence)):
            raise InvalidSpecError(f"metric_name must be a string or a list of strings, not {type(metric_name).__name__}")
        self.metric_name, self.as_multirun = metric_name, as_multirun
        self._project = safe_name(project or os.environ.get("NB_REGISTRY_PROJECT") or "optuna", "optuna")
        self._root, self._init_kwargs = root, dict(init_kwargs)
        self._trial_runs: dict[int, Any] = {}  # trial number -> the run track_in_nb_registry opened
        self._study_run: Any = None

    def _names(self, values: Sequence[float]) -> list[str]:
        if isinstance(self.metric_name, str):
            return [self.metric_name] if len(values) == 1 else [f"{self.metric_name}_{i}" for i in range(len(values))]
        if len(self.metric_name) != len(values):
            raise InvalidSpecError(f"the study has {len(values)} objective values but metric_name names "
                                   f"{len(self.metric_name)}: {list(self.metric_name)}; give one name per objective")
        return list(self.metric_name)

    def _start(self, study: Any, name: str, job_type: str, config: dict[str, Any]) -> Any:
        tags = [*self._init_kwargs.get("tags", ()), safe_name(study.study_name, "study")]
        kwargs = {k: v for k, v in self._init_kwargs.items() if k not in ("tags", "job_type")}
        return nbr.init(project=self._project, name=name, job_type=self._init_kwargs.get("job_type", job_type),
                        config=jsonable(config), tags=list(dict.fromkeys(tags)), root=self._root, **kwargs)

    def _study_config(self, study: Any) -> dict[str, Any]:
        return {"optuna": {"study": study.study_name, "directions": [d.name.lower() for d in study.directions]}}

    def __call__(self, study: Any, trial: Any) -> None:
        metrics = dict(zip(self._names(trial.values), trial.values)) if trial.values is not None else {}
        if not self.as_multirun:
            self._log_row(study, trial, metrics)
            return
        run = self._trial_runs.pop(trial.number, None)
        if run is not None and run.state != "running":
            return  # the objective raised: track_in_nb_registry ended its run as failed
        config = {**trial.params, **self._study_config(study)}
        if run is None:
            run = self._start(study, f"trial-{trial.number}", TRIAL_JOB, config)
        else:
            run.update_config(jsonable(config))
        try:
            for step, value in sorted(trial.intermediate_values.items()):
                run.log({"intermediate_value": value}, step=int(step))
            run.set_summary(**jsonable({**metrics, **_trial_summary(trial)}))
        finally:
            run.finish(exit_code=1 if trial.state.name == "FAIL" else 0)

    def _log_row(self, study: Any, trial: Any, metrics: dict[str, Any]) -> None:
        if self._study_run is None or self._study_run.state != "running":
            self._study_run = self._start(study, study.study_name, "optuna-study", self._study_config(study))
        row = {**trial.params, **metrics, "trial_number": trial.number, "state": trial.state.name}
        self._study_run.log(jsonable(row), step=trial.number)

    def track_in_nb_registry(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorate the objective so that each trial's run is open (``nbr.run``) while it runs (as W&B's
        ``track_in_wandb``): what the objective logs goes into that run. The callback finishes it."""

        def decorator(objective: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(objective)
            def wrapper(trial: Any) -> Any:
                study = trial.study
                run = self._start(study, f"trial-{trial.number}", TRIAL_JOB, self._study_config(study))
                self._trial_runs[trial.number] = run
                try:
                    return objective(trial)
                except optuna.TrialPruned:
                    raise  # a pruned trial ends normally: the callback records it
                except BaseException:
                    run.update_config(jsonable(trial.params))
                    run.set_summary(state="FAIL", trial_number=trial.number)
                    run.finish(exit_code=1)
                    raise

            return wrapper

        return decorator


def _trial_summary(trial: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"trial_number": trial.number, "state": trial.state.name}
    if trial.duration is not None:
        out["duration_seconds"] = trial.duration.total_seconds()
    out.update({f"user_attrs/{k}": v for k, v in trial.user_attrs.items()})
    return out


class NbRegistryArtifactStore:
    """Optuna's artifact store over nb_registry: ``optuna.artifacts.upload_artifact(artifact_store=store, ...)``.

    ``name``: the collection the artifacts are versions of; ``project`` (``NB_REGISTRY_PROJECT``, else
    ``optuna``) and ``root`` say where (``root`` None: the current run's registry, else the default one)."""

    def __init__(self, name: str = "optuna-artifacts", project: str | None = None, root: str | None = None) -> None:
        self.name = safe_name(name, "optuna-artifacts")
        self.project = safe_name(project or os.environ.get("NB_REGISTRY_PROJECT") or "optuna", "optuna")
        self.root = root

    def _root(self) -> str | None:
        return self.root if self.root is not None or nbr.run is None else nbr.run.registry_url

    def _api(self) -> Any:
        return nbr.Api(root=self._root(), project=self.project)

    @staticmethod
    def _alias(artifact_id: str) -> str:
        return safe_name(artifact_id, "artifact")

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store ``content_body`` as a version aliased ``artifact_id`` (the file Optuna opened is read directly)."""
        source = getattr(content_body, "name", None)
        filename = os.path.basename(source) if isinstance(source, str) and source else self._alias(artifact_id)
        with tempfile.TemporaryDirectory(prefix="nb_registry-optuna-") as scratch:
            if isinstance(source, str) and os.path.isfile(source) and content_body.tell() == 0:
                path = source
            else:  # a stream, not a file: spooled to disk once
                path = os.path.join(scratch, filename)
                with open(path, "wb") as f:
                    shutil.copyfileobj(content_body, f)
            art = nbr.Artifact(f"{self.project}/{self.name}", type="optuna-artifact")
            art.add_file(path, name=filename)
            run, owned = _current_or_new(self.project, self._root())
            try:
                with warnings.catch_warnings():  # the same bytes uploaded again: one version, one more alias
                    warnings.filterwarnings("ignore", message=".*already holds these exact files")
                    run.log_artifact(art, aliases=[self._alias(artifact_id)])
            finally:
                if owned:
                    run.finish()

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The artifact's bytes, read from the store (verified); an input of the current run, if there is one."""
        try:
            art = self._api().artifact(f"{self.name}:{self._alias(artifact_id)}")
        except NotFoundError as e:
            raise ArtifactNotFound(f"no Optuna artifact {artifact_id!r} in {self.project}/{self.name}: {e}") from None
        run = nbr.run
        if run is not None and _same_root(self._root() or run.registry_url, run.registry_url):
            run.use_artifact(art)
        [entry] = art.files()
        return open(entry.download(), "rb")

    def remove(self, artifact_id: str) -> None:
        try:
            self._api().remove_alias(self.name, self._alias(artifact_id))
        except NotFoundError as e:
            raise ArtifactNotFound(f"no Optuna artifact {artifact_id!r} in {self.project}/{self.name}: {e}") from None


def _current_or_new(project: str, root: str | None) -> tuple[Any, bool]:
    """The current run (the trial's, or a notebook's) when it writes to ``root``, else a short run of its own."""
    run = nbr.run
    if run is None:
        return nbr.init(project=project, job_type="optuna-artifact", root=root), True
    if root is not None and not _same_root(root, run.registry_url):
        raise InvalidSpecError(f"this artifact store writes to {root} but the current run {run.path} writes to "
                               f"{run.registry_url}; give the store root=None to follow the run, or the run that root")
    return run, False


def _same_root(root: str, url: str) -> bool:
    local = lambda u: os.path.realpath(os.path.expanduser(u)) if "://" not in u else u.rstrip("/")  # noqa: E731
    return local(str(root)) == local(str(url))
