"""The module-level run API, as W&B code calls it: ``nbr.log``, ``nbr.config``, ``nbr.log_artifact`` ...

Each call acts on the current run of this process (the one ``nbr.init`` started, or a notebook kernel's
implicit run). As in W&B, calling them before ``init`` is an error that says so, except
``Artifact.save()`` on a draft, which starts a run of job type ``auto`` to log it.

``init(mode="disabled")`` returns a :class:`DisabledRun`: every call on it (and on the module-level API
while it is current) is a cheap no-op that writes nothing and opens no registry; ``config`` and
``summary`` still hold what the code puts in them, so code that reads them back keeps working.
"""

from __future__ import annotations

import secrets
from typing import Any, Iterable, Mapping

from .artifact import Artifact
from .errors import RegistryError
from .run_config import Config, Summary
from .runs import current, set_current

__all__ = ["log", "log_artifact", "use_artifact", "link_artifact", "log_model", "use_model", "link_model",
           "config", "summary", "DisabledRun"]


def _run(what: str) -> Any:
    run = current()
    if run is None or not run.live:
        raise RegistryError(f"call nbr.init() before nbr.{what}(): there is no current run in this process "
                            "(in a notebook, %load_ext nb_registry starts one for you)")
    return run


def log(data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """``run.log`` on the current run."""
    _run("log").log(data, step=step, commit=commit)


def log_artifact(artifact: "Artifact | str", name: str | None = None, type: str | None = None,
                 aliases: Iterable[str] | None = None) -> Any:
    """``run.log_artifact`` on the current run."""
    return _run("log_artifact").log_artifact(artifact, name=name, type=type, aliases=aliases)


def use_artifact(spec: "str | Artifact", type: str | None = None, aliases: Iterable[str] | None = None) -> Any:
    """``run.use_artifact`` on the current run."""
    return _run("use_artifact").use_artifact(spec, type=type, aliases=aliases)


def link_artifact(artifact: "Artifact | str", target_path: str, aliases: Iterable[str] | None = None) -> Any:
    """``run.link_artifact`` on the current run."""
    return _run("link_artifact").link_artifact(artifact, target_path, aliases)


def log_model(path: Any, name: str | None = None, aliases: Iterable[str] | None = None) -> Any:
    """``run.log_model`` on the current run: a model file or folder as an artifact of type ``model``."""
    return _run("log_model").log_model(path, name=name, aliases=aliases)


def use_model(name: str) -> str:
    """``run.use_model`` on the current run: the local path of a model artifact."""
    return str(_run("use_model").use_model(name))


def link_model(path: Any, registered_model_name: str, name: str | None = None,
               aliases: Iterable[str] | None = None) -> Any:
    """``run.link_model`` on the current run: log a model and link it to a registered model."""
    return _run("link_model").link_model(path, registered_model_name, name=name, aliases=aliases)


class _PreInit:
    """What ``nbr.config`` / ``nbr.summary`` are before ``init``: any use says to call ``init`` first."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RegistryError(f"call nbr.init() before using nbr.{object.__getattribute__(self, 'name')}")

    __getattr__ = __setattr__ = __getitem__ = __setitem__ = __iter__ = __len__ = __contains__ = _fail

    def __repr__(self) -> str:
        return f"<nbr.{object.__getattribute__(self, 'name')}: no run yet; call nbr.init() first>"


def config() -> Any:
    """The current run's config (attribute and item access, ``update``), or a stand-in that says to call ``init``."""
    run = current()
    return run.config if run is not None else _PreInit("config")


def summary() -> Any:
    """The current run's summary, or a stand-in that says to call ``init``."""
    run = current()
    return run.summary if run is not None else _PreInit("summary")


class DisabledRun:
    """A run made by ``init(mode="disabled")``: it records nothing and opens no registry (W&B's disabled mode).

    ``log``, ``log_artifact``, ``link_artifact``, ``finish`` and any other run method do nothing; ``config`` and
    ``summary`` are kept in memory; ``use_artifact`` returns a draft as it is and refuses a spec (there is no
    registry to read it from: that would not be a no-op)."""

    live = True
    state = "disabled"
    resumed = False
    disabled = True

    def __init__(self, project: str | None, name: str | None, job_type: str | None,
                 config: Mapping[str, Any] | None, tags: Iterable[str] | None, notes: str | None,
                 run_id: str | None) -> None:
        self.id = run_id or secrets.token_hex(4)
        self.project = project or "uncategorized"
        self.name = name or f"{job_type or 'run'}-{self.id}"
        self.job_type, self.notes, self.tags = job_type, notes, list(tags or ())
        self.config = Config(config or {})
        self.summary = Summary()
        self.step = 0

    @classmethod
    def start(cls, project: str | None, name: str | None, job_type: str | None, config: Mapping[str, Any] | None,
              tags: Iterable[str] | None, notes: str | None, run_id: str | None) -> "DisabledRun":
        prev = current()
        if prev is not None:
            prev.finish()
        run = cls(project, name, job_type, config, tags, notes, run_id)
        set_current(run)
        return run

    path = property(lambda self: f"{self.project}/{self.id}")

    def __repr__(self) -> str:
        return f"<DisabledRun {self.path} (mode='disabled': nothing is recorded)>"

    def __enter__(self) -> "DisabledRun":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.finish()

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        self.step = step if step is not None else self.step + 1

    def log_artifact(self, artifact: Any, name: str | None = None, type: str | None = None,
                     aliases: Iterable[str] | None = None, **kwargs: Any) -> Any:
        return artifact

    def use_artifact(self, spec: Any, type: str | None = None, **kwargs: Any) -> Any:
        if isinstance(spec, Artifact):
            return spec
        raise RegistryError(f"use_artifact({spec!r}) in mode='disabled': there is no registry to read it from; "
                            "use nbr.Api().artifact(...) to read without a run, or init() without mode='disabled'")

    def finish(self, exit_code: int = 0) -> None:
        if current() is self:
            set_current(None)
        self.live = False

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None  # link_artifact, log_model, define_metric, watch, save ...
