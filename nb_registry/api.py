"""The public entry points: ``init`` (start a run) and ``Api`` (read and administer a registry)."""

from __future__ import annotations

import os
import threading
from typing import Any, Iterable, Mapping, Sequence

from . import artifact as artifact_mod
from .artifact import Artifact
from .errors import InvalidSpecError, NotFoundError
from .names import DEFAULT_PROJECT
from .registry import Registry
from .runs import Run, current, start_run

_registries: dict[tuple[str, str | None], Registry] = {}
_lock = threading.Lock()


def open_registry(root: str | None = None, cache_dir: str | None = None, blobs: str | None = None,
                  **storage_options: Any) -> Registry:
    """The process-wide ``Registry`` for a root (``NB_REGISTRY_ROOT`` or ``~/.nb_registry`` by default).

    ``root`` is a folder, an fsspec URL (``s3://bucket/registry``, ``memory://``) or a PostgreSQL URL
    (``postgresql://user@host/db``), which keeps only metadata: its blobs go to ``blobs`` (any fsspec
    URL, or ``NB_REGISTRY_BLOBS``)."""
    from .store import default_root

    url = str(root or default_root())
    blobs = blobs or os.environ.get("NB_REGISTRY_BLOBS") or None
    key = (os.path.abspath(os.path.expanduser(url)) if "://" not in url else url, cache_dir, blobs)
    with _lock:
        reg = _registries.get(key)
        if reg is None:
            reg = _registries[key] = Registry(url, cache_dir=cache_dir, blobs=blobs, **storage_options)
        return reg


MODES = ("online", "offline", "disabled", "shared")
REINIT = (None, True, False, "default", "finish_previous", "return_previous", "create_new")


def init(project: str | None = None, name: str | None = None, job_type: str | None = None,
         config: Mapping[str, Any] | None = None, tags: Iterable[str] | None = (), notes: str | None = None,
         root: str | None = None, code: str | None = None, notebook: str | None = None, *,
         entity: str | None = None, group: str | None = None, dir: str | None = None, id: str | None = None,
         resume: "bool | str | None" = None, reinit: "bool | str | None" = None, save_code: bool | None = None,
         mode: str | None = None, **ignored: Any) -> Any:
    """Start a run (finishing the previous one of this process, if any). Use it as a context manager too.

    W&B's keywords are accepted: ``entity``, ``group`` and ``dir`` are recorded on the run (there are no
    accounts, so an entity is never an error); ``id`` with ``resume`` continues a run after a restart (see
    :func:`nb_registry.runs.start_run`); ``reinit=False`` (or ``"return_previous"``) returns the run already
    going, ``"create_new"`` starts another beside it; ``save_code=True`` stores the script's source;
    ``mode="disabled"`` (or ``NB_REGISTRY_MODE``/``WANDB_MODE=disabled``) returns a run on which every call is a
    cheap no-op and nothing is written; ``"offline"`` and ``"online"`` are the default (everything is local).
    Other W&B keywords (``settings``, ``anonymous``, ``sync_tensorboard`` ...) are accepted and ignored."""
    mode = mode or os.environ.get("NB_REGISTRY_MODE") or os.environ.get("WANDB_MODE") or "online"
    if mode not in MODES + ("dryrun", "run"):
        raise InvalidSpecError(f"mode={mode!r}: use one of {', '.join(MODES)}")
    if reinit not in REINIT:
        raise InvalidSpecError(f"reinit={reinit!r}: use True, False or one of {', '.join(repr(r) for r in REINIT[3:])}")
    if mode == "disabled":
        from .current import DisabledRun

        return DisabledRun.start(project, name, job_type, config, tags, notes, id)
    prev = current()
    if prev is not None and prev.live and reinit in (False, "return_previous"):
        return prev
    if prev is not None and reinit != "create_new":
        prev.finish()
    if save_code and code is None:
        code = _script_source()
    extra = {k: v for k, v in (("entity", entity), ("group", group), ("dir", dir)) if v is not None}
    return start_run(open_registry(root), project, name, job_type, config, tags or (), notes, code=code,
                     notebook=notebook, run_id=id, resume=resume, **extra)


def _save_draft(art: Artifact, project: str | None) -> None:
    """``draft.save()``: logged on the current run, or on a run of job type ``auto`` started (and finished) for it."""
    run = current()
    if run is not None and run.live:
        run.log_artifact(art)
    else:
        with init(project=project or art.project, job_type="auto") as auto:
            auto.log_artifact(art)


artifact_mod.on_save_draft(_save_draft)


def _script_source() -> str | None:
    """The main script's source, for ``save_code=True`` (None in a notebook or an interactive session)."""
    import sys

    main = getattr(sys.modules.get("__main__"), "__file__", None)
    try:
        with open(main, encoding="utf-8") as f:  # type: ignore[arg-type]
            return f.read()
    except (OSError, TypeError, UnicodeDecodeError):
        return None


def finish(exit_code: int = 0) -> None:
    run = current()
    if run is not None:
        run.finish(exit_code)


class Api:
    """Read and administer a registry outside a run: ``nbr.Api().artifact("model:production")``."""

    def __init__(self, root: str | None = None, project: str | None = None, blobs: str | None = None,
                 **storage_options: Any) -> None:
        self.registry = open_registry(root, blobs=blobs, **storage_options)
        chosen = project or os.environ.get("NB_REGISTRY_PROJECT")
        self.project = chosen or DEFAULT_PROJECT
        # a bare "name:alias" is looked for in every project when none was chosen (see Registry.artifact)
        self.project_chosen = bool(chosen)

    def __repr__(self) -> str:
        return f"<Api {self.registry.url} project={self.project}>"

    # -- artifacts -----------------------------------------------------------------------
    def _project(self) -> str | None:
        return self.project if self.project_chosen else None

    def artifact(self, spec: str, type: str | None = None) -> Artifact:
        """Resolve a spec: ``[project/]name[:alias|:vN]``, ``model-registry/NAME:ALIAS``, ``models:/NAME@ALIAS``
        or ``models:/NAME/VERSION``. W&B's ``api.artifact(name, type=None)``."""
        return self.registry.artifact(spec, self._project(), type)

    def artifact_exists(self, spec: str) -> bool:
        try:
            self.artifact(spec)
            return True
        except NotFoundError:
            return False

    def artifact_versions(self, name: str, filters: "Mapping[str, Any] | str | None" = None,
                          order: str | Sequence[str] | None = None, limit: int | None = None,
                          per_page: int | None = None) -> list[Artifact]:
        """Versions of a collection: ``(name, filters=..., order=..., limit=...)``, or W&B's
        ``(type_name, name)`` when the second argument is a collection name."""
        if isinstance(filters, str):
            return self.artifacts(name, filters)
        return self.registry.versions(name, self._project(), filters, order, limit)

    def artifacts(self, type_name: str, name: str, per_page: int | None = None) -> list[Artifact]:
        """W&B's ``api.artifacts(type_name, name)``: every version of collection ``name`` (``[project/]name``)
        whose type is ``type_name``; a collection of another type is NotFoundError."""
        versions = self.registry.versions(name, self._project())
        if versions and versions[0].type != type_name:
            raise NotFoundError(f"{versions[0].project}/{versions[0].collection} holds artifacts of type "
                                f"{versions[0].type!r}, not {type_name!r}")
        return versions

    def artifact_collections(self, project: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
        return self.registry.collections(project, type)

    def generation(self) -> int:
        """A number that grows with every change to the registry: poll it to know when to refresh."""
        return self.registry.meta.generation()

    def projects(self) -> list[str]:
        return self.registry.projects()

    def set_alias(self, spec: str, alias: str) -> Artifact:
        return self.registry.set_alias(spec, alias, self.project)

    def remove_alias(self, name: str, alias: str, version: int | None = None) -> None:
        self.registry.remove_alias(name, alias, self.project, version)

    def find_by_content(self, path_or_digest: str) -> list[tuple[Artifact, str]]:
        return self.registry.find_by_content(path_or_digest)

    def diff(self, a: str, b: str) -> dict[str, Any]:
        return self.registry.diff(a, b, self.project)

    # -- runs ----------------------------------------------------------------------------
    def run(self, run_path: str) -> Run:
        return self.registry.run(run_path)

    def runs(self, project: str | None = None, filters: Mapping[str, Any] | None = None,
             order: str | Sequence[str] | None = None, limit: int | None = None) -> Any:
        from .tracking import query_runs

        return query_runs(self.registry, project, filters, order, limit)

    # -- lineage and the model registry ---------------------------------------------------
    def lineage(self, spec: str, direction: str = "up", depth: int | None = None) -> dict[str, Any]:
        from .lineage import lineage

        return lineage(self.registry, spec, direction, depth, self.project)

    def link(self, spec: "str | Artifact", registered_model: str, aliases: Iterable[str] = ()) -> Any:
        from .models import link

        art = spec if isinstance(spec, Artifact) else self.artifact(spec)
        return link(self.registry, art, registered_model.rsplit("/", 1)[-1], aliases)

    def create_registered_model(self, name: str, description: str | None = None, model_card: str | None = None,
                                tags: Iterable[str] = ()) -> Any:
        from .models import create_registered_model

        return create_registered_model(self.registry, name, description, model_card, tags)

    def registered_model(self, name: str) -> Any:
        from .models import RegisteredModel

        return RegisteredModel.load(self.registry, name.rsplit("/", 1)[-1], self.project)

    def registered_models(self, tag: str | None = None, search: str | None = None) -> list[Any]:
        from .models import registered_models

        return registered_models(self.registry, tag, search)

    def add_automation(self, registered_model: str, alias: str, command: "str | list[str]",
                       name: str | None = None) -> dict[str, Any]:
        """Run ``command`` when ``alias`` of a registered model moves. The hook is kept in *your* configuration
        (``~/.config/nb_registry/automations.json``), never in the registry, and runs only in an automation
        worker you start (``nb-registry automations serve``); see :mod:`nb_registry.automations`."""
        from .automations import add_command_hook

        return add_command_hook(self.registry, registered_model.rsplit("/", 1)[-1], alias, command, name)

    def set_retention(self, name: str, keep_best: int | None = None, metric: str | None = None, mode: str = "max",
                      keep_last: int | None = None) -> dict[str, Any]:
        """Keep the best ``keep_best`` versions by ``metric`` and/or the last ``keep_last``; ``gc`` applies it."""
        from .retention import set_retention

        return set_retention(self.registry, name, keep_best, metric, mode, keep_last, self.project)

    def prediction_log(self, spec: "str | Artifact") -> Any:
        """A :class:`~nb_registry.predictions.PredictionLog` for a model version."""
        from .predictions import PredictionLog

        return PredictionLog(self.registry, spec if isinstance(spec, Artifact) else self.artifact(spec))

    def gc(self, dry_run: bool = True) -> dict[str, Any]:
        """Apply retention policies and free unreferenced blobs; a dry run unless ``dry_run=False``."""
        from .retention import gc

        return gc(self.registry, dry_run=dry_run)
