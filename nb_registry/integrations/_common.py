"""What the integrations share: a run to log into, JSON-ready values, and checkpoint logging.

``CheckpointLog`` logs a file or a folder as a version of one collection, skips a checkpoint whose
files did not change since it was last logged (path, size, mtime and inode), and keeps ``best`` on the
best version by a monitored score (``mode`` ``min`` or ``max``), or where the framework says the best
checkpoint is. ``latest`` needs nothing: the registry keeps it on the newest version.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import os
import re
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import nb_registry as nbr
from nb_registry.errors import InvalidSpecError

if TYPE_CHECKING:
    from nb_registry import Artifact, Run

MODES = ("min", "max")
_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: Any, fallback: str = "run") -> str:
    """``text`` made into a valid collection, project, alias or tag name (other characters become ``-``)."""
    name = _BAD.sub("-", str(text)).strip("-._")[:128].rstrip("-._")
    return name or fallback


def jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data for a config or metadata: numbers, strings, lists and dicts.

    Scalars of numpy and torch become numbers, paths and other objects their text, enums their name,
    dataclasses and namespaces dicts, classes and functions their qualified name."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else (None if math.isnan(value) else value)
    if depth > 16:
        return repr(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, depth + 1) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)}
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}".lstrip(".")
    shape = getattr(value, "shape", None)
    if shape is not None and callable(getattr(value, "tolist", None)):  # numpy and torch scalars and arrays
        try:
            size = math.prod(int(n) for n in tuple(shape))
            if size <= 1000:
                return jsonable(value.tolist(), depth + 1)
        except (TypeError, ValueError, RuntimeError):
            pass
    if type(value).__name__ in ("Namespace", "AttributeDict") and hasattr(value, "__dict__"):
        return jsonable(vars(value), depth + 1)
    return str(value)


def score_of(value: Any) -> float | None:
    """A monitored value as a float (tensors and numpy scalars too), or None when it is not a finite number."""
    value = jsonable(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def active_run() -> "Run | None":
    """The run this process is logging to, if the user started one (``nbr.init``); the implicit run of a
    notebook kernel (job type ``notebook``) does not count: a training gets a run of its own."""
    run = nbr.run
    return run if run is not None and run.job_type != "notebook" else None


def open_run(project: str | None, default_project: str, name: str | None = None, job_type: str = "train",
             config: Mapping[str, Any] | None = None, root: str | None = None,
             **init_kwargs: Any) -> tuple["Run", bool]:
    """(run, owned): the user's live run if there is one (W&B's integrations reuse ``wandb.run`` too),
    else a new run that the integration owns and finishes."""
    run = active_run()
    if run is not None:
        if config:
            run.update_config(jsonable(dict(config)))
        return run, False
    project = project or os.environ.get("NB_REGISTRY_PROJECT") or default_project
    return nbr.init(project=safe_name(project, default_project), name=name, job_type=job_type,
                    config=jsonable(dict(config or {})), root=root, **init_kwargs), True


class StepHistory:
    """Metrics at the framework's step. Calls for one step merge into one row (as ``Run.log`` merges them), unless
    that would overwrite a value logged at this step with another (an evaluation after training, at the last
    step) or the step goes back (a second ``fit`` into the same run): that is a new row, which keeps the
    framework's step in ``step_key``. No logged value is lost."""

    def __init__(self, step_key: str) -> None:
        self.step_key = step_key
        self.step: int | None = None  # the step of the row this object has open in the run
        self.values: dict[str, Any] = {}  # what that row holds

    def _merges(self, values: Mapping[str, Any], step: int) -> bool:
        if self.step is None or step > self.step:
            return True
        return step == self.step and all(self.values.get(k, v) == v for k, v in values.items())

    def log(self, run: "Run", values: Mapping[str, Any], step: int | None) -> None:
        if step is not None and self._merges(values, step):
            try:
                run.log(values, step=step)
            except InvalidSpecError:  # the run is past this step (a run reused); bad values fail again below
                pass
            else:
                self.values = {**self.values, **values} if step == self.step else dict(values)
                self.step = step
                return
        if self.step is not None:
            run.log({}, commit=True)  # close our open row first, so this one does not merge into it
        self.step, self.values = None, {}
        run.log({**values, **({self.step_key: step} if step is not None else {})})


def signature(path: str, include: Callable[[str], bool] | None = None) -> tuple[Any, ...]:
    """What identifies a file's (or a folder's files') content without reading it: path, size, mtime, inode."""
    if os.path.isfile(path):
        st = os.stat(path)
        return (st.st_size, st.st_mtime_ns, st.st_ino)
    return tuple((rel, *signature(os.path.join(path, rel))) for rel in folder_files(path, include))


def folder_files(root: str, include: Callable[[str], bool] | None = None) -> list[str]:
    """The files below ``root`` as sorted relative POSIX paths, those ``include(rel)`` refuses left out."""
    out = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        for f in files:
            rel = os.path.relpath(os.path.join(folder, f), root).replace(os.sep, "/")
            if include is None or include(rel):
                out.append(rel)
    return sorted(out)


class CheckpointLog:
    """Checkpoints of one training, logged as versions of the collection ``name`` (one per run).

    ``best_alias`` (``best``) goes to the version whose score is the best so far by ``mode``, unless the
    caller says which checkpoint is best (``best=True``, or :meth:`mark_best` for one logged before)."""

    def __init__(self, name: str, type: str = "model", mode: str = "min", best_alias: str = "best") -> None:
        if mode not in MODES:
            raise InvalidSpecError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.name, self.type, self.mode, self.best_alias = safe_name(name, "model"), type, mode, best_alias
        self.best_score: float | None = None
        self.best_version: str | None = None
        self.logged: dict[str, "Artifact"] = {}  # checkpoint path -> the version it was logged as
        self._where: tuple[str, str] | None = None  # (registry root, project) of the versions, for alias moves
        self._seen: dict[str, tuple[Any, ...]] = {}  # checkpoint path -> its signature when logged

    def improves(self, score: Any) -> bool:
        """Whether ``score`` beats the best so far (a missing or non-finite score never does)."""
        s = score_of(score)
        if s is None:
            return False
        if self.best_score is None:
            return True
        return s < self.best_score if self.mode == "min" else s > self.best_score

    def changed(self, path: str, include: Callable[[str], bool] | None = None) -> bool:
        """Whether ``path`` exists and differs from what was logged from it (or was never logged)."""
        return os.path.exists(path) and self._seen.get(os.path.abspath(path)) != signature(path, include)

    def log(self, run: "Run", path: str, score: Any = None, best: bool | None = None, aliases: Iterable[str] = (),
            metadata: Mapping[str, Any] | None = None, entry_name: str | None = None,
            include: Callable[[str], bool] | None = None) -> "Artifact | None":
        """Log the file or folder ``path`` as a version; None when it did not change since its last log.

        ``best`` None: decided by ``score`` against the best so far. A folder keeps the files
        ``include(rel)`` accepts (all by default); a file is stored as ``entry_name`` (its own name by default)."""
        key = os.path.abspath(path)
        sig = signature(key, include)
        if self._seen.get(key) == sig:
            return None
        art = nbr.Artifact(self.name, type=self.type, metadata=jsonable(dict(metadata or {})))
        if os.path.isdir(key):
            files = folder_files(key, include)
            if not files:
                raise InvalidSpecError(f"checkpoint folder {path} holds no file to log")
            for rel in files:
                art.add_file(os.path.join(key, rel), name=rel)
        else:
            art.add_file(key, name=entry_name)
        is_best = self.improves(score) if best is None else best
        wanted = [*aliases, *([self.best_alias] if is_best else [])]
        with warnings.catch_warnings():  # the same bytes saved under two names (last.ckpt): one version, aliases added
            warnings.filterwarnings("ignore", message=".*already holds these exact files")
            logged = run.log_artifact(art, aliases=list(dict.fromkeys(safe_name(a, "checkpoint") for a in wanted)))
        self._seen[key], self.logged[key] = sig, logged
        self._where = (run.registry_url, logged.project or run.project)
        if is_best:
            self.best_version = logged.id
            self.best_score = score_of(score) if score_of(score) is not None else self.best_score
        return logged

    def mark_best(self, path: str, score: Any = None) -> None:
        """Move ``best`` to the version logged from ``path`` (when the framework names an earlier checkpoint)."""
        art = self.logged.get(os.path.abspath(path))
        if art is None or art.id == self.best_version or self._where is None:
            return
        nbr.Api(root=self._where[0], project=self._where[1]).set_alias(art.id, self.best_alias)
        self.best_version = art.id
        if score_of(score) is not None:
            self.best_score = score_of(score)
