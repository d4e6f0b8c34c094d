"""Runs: a training job, a notebook kernel or a CLI call, with its config, metrics and edges.

A run is one small TinyDB shard (``runs/<project>/<id>.json``) rewritten when its state, summary,
inputs or outputs change. Metric history is *not* one document per step: ``log()`` buffers rows in
memory and appends them in batches to a JSON-lines file beside the shard (one ``write`` per 1,000
rows or 10 s); ``finish()`` turns it into one columnar, content-addressed blob. 100,000 steps are
about 100 appends while training and one parse when read back.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import secrets
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from . import envinfo
from .artifact import Artifact, check_metadata
from .artifacts import Artifacts
from .errors import AlreadyExistsError, InvalidSpecError, NotFoundError
from .names import DEFAULT_PROJECT, check_name
from .run_config import Config, Summary
from .runstate import effective_state, proc_stat
from .store.interface import StaleGeneration
from .store.records import RunRecord
from .table import Table

FLUSH_ROWS = 1000
FLUSH_SECONDS = 10.0
HEARTBEAT_SECONDS = 30.0
_current: "Run | None" = None
_live_runs: "list[Run]" = []  # runs this process started and has not finished (reinit="create_new" keeps several)
_exit_hook: dict[str, Any] = {"installed": False, "failed": False, "code": 0}


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # numpy and torch scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else value
    return value


METRIC_VALUES = ("numbers (NaN and infinity too), strings, booleans, None, and lists or dicts of them; "
                 "numpy and torch scalars are converted")


def _metric_value(key: str, value: Any, where: str = "run.log", depth: int = 0) -> Any:
    """``value`` as it will be stored in the history (JSON), or an error naming ``key`` and what is allowed.

    Checked when logged, so that a bad value is refused at once instead of failing ``finish()`` later."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return _jsonable(value)
    if depth < 32 and isinstance(value, (list, tuple)):
        return [_metric_value(key, v, where, depth + 1) for v in value]
    if depth < 32 and isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidSpecError(f"{where}: {key!r} is a dict with the key {k!r} ({type(k).__name__}); "
                                       f"keys of a logged dict are strings. Allowed values: {METRIC_VALUES}")
            out[k] = _metric_value(f"{key}.{k}", v, where, depth + 1)
        return out
    if hasattr(value, "item") and callable(value.item):  # numpy and torch scalars (and 1-element arrays)
        try:
            scalar = value.item()
        except (ValueError, RuntimeError, TypeError):
            scalar = None
        else:
            if scalar is None or isinstance(scalar, (bool, int, float, str)):
                return _jsonable(scalar)
        shape = getattr(value, "shape", None)
        raise InvalidSpecError(f"{where}: {key!r} is a {type(value).__name__}"
                               + (f" of shape {tuple(shape)}" if shape is not None else "")
                               + f", not one value; log a scalar, or a list with value.tolist(). Allowed: {METRIC_VALUES}")
    kind = type(value).__qualname__ if type(value).__module__ == "builtins" else f"{type(value).__module__}.{type(value).__qualname__}"
    raise InvalidSpecError(f"{where}: {key!r} is a {kind} "
                           f"({value!r:.60}), which cannot be stored; allowed: {METRIC_VALUES}. "
                           "Convert it first, e.g. str(value) for a date")


class Run:
    """A tracked run. Create with :func:`nb_registry.init`; use as a context manager or call :meth:`finish`."""

    def __init__(self, registry: Artifacts, doc: dict[str, Any], live: bool) -> None:
        self._reg = registry
        self._doc = doc
        self._live = live
        self._buffer: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None  # the row of the current step, not yet committed
        self._last_flush = time.monotonic()
        self._step = int(doc.get("steps", 0))
        self.summary = Summary(doc.get("summary") or {}, self)
        self.config = Config(doc.get("config") or {}, self)
        self._summary_set: set[str] = set()
        self._save_lock = threading.Lock()
        self._buffer_lock = threading.RLock()
        self._stop_beat = threading.Event()

    # -- identity ---------------------------------------------------------------------------
    id = property(lambda self: self._doc["id"])
    project = property(lambda self: self._doc["project"])
    name = property(lambda self: self._doc["name"])
    job_type = property(lambda self: self._doc.get("job_type"))
    group = property(lambda self: self._doc.get("group"))
    entity = property(lambda self: self._doc.get("entity"))
    resumed = property(lambda self: bool(self._doc.get("resumed_at")))
    step = property(lambda self: self._step)  # the step the next log() writes, as W&B's run.step
    tags = property(lambda self: list(self._doc.get("tags", [])))
    notes = property(lambda self: self._doc.get("notes"))
    git = property(lambda self: self._doc.get("git"))
    inputs = property(lambda self: list(self._doc.get("inputs", [])))
    outputs = property(lambda self: list(self._doc.get("outputs", [])))

    @property
    def live(self) -> bool:
        """Whether this process started the run and it is not finished: only then can it log."""
        return self._live

    @property
    def registry_url(self) -> str:
        """The root of the registry this run writes to."""
        return self._reg.url

    @property
    def path(self) -> str:
        return f"{self.project}/{self.id}"

    @property
    def state(self) -> str:
        return effective_state(self._doc)

    @property
    def info(self) -> dict[str, Any]:
        return dict(self._doc, state=self.state, summary=dict(self.summary))

    def __repr__(self) -> str:
        return f"<Run {self.path} name={self.name!r} state={self.state}>"

    def _repr_html_(self) -> str:
        from .display import run_html

        return run_html(self)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.finish(exit_code=0 if exc_type is None else 1)

    # -- writing ----------------------------------------------------------------------------
    def _record(self) -> RunRecord:
        return RunRecord.from_doc(dict(self._doc, summary=dict(self.summary)))

    def _save(self, **changes: Any) -> None:
        with self._save_lock:  # the heartbeat thread saves too
            self._doc.update(changes)
            self._reg.meta.save_run(self._record())

    def annotate(self, **fields: Any) -> None:
        """Record extra fields on this run (a notebook kernel's start time, a launcher's job id ...)."""
        self._check_live()
        self._save(**check_metadata(fields, "run fields"))

    def _start_heartbeat(self) -> None:
        """A daemon thread that saves ``heartbeat_at`` every ``HEARTBEAT_SECONDS``, so that readers on
        other hosts see a live run as running even while it logs nothing (a long evaluation, an idle
        notebook) and as crashed once the beats stop; and that writes rows left in the buffer for
        ``FLUSH_SECONDS``, so a run that logs and then goes quiet (or is killed) keeps them."""
        threading.Thread(target=self._beat, name=f"nb_registry-heartbeat-{self.id}", daemon=True).start()

    def _beat(self) -> None:
        last_beat = time.monotonic()
        while not self._stop_beat.wait(min(HEARTBEAT_SECONDS, FLUSH_SECONDS) / 2):
            if not self._live:
                return
            try:
                if self._buffer and time.monotonic() - self._last_flush >= FLUSH_SECONDS:
                    self._flush()
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    last_beat = time.monotonic()
                    self._save(heartbeat_at=envinfo.now(), steps=self._step)
            except Exception:  # a busy lock or a transient storage error: the next round retries
                pass

    def _check_live(self) -> None:
        if not self._live:
            raise InvalidSpecError(f"run {self.path} is {self.state}; only the process that started it can log to it")

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        """Add metrics to the history; the summary keeps the last value of each key.

        As in W&B: without ``step`` each call is one row (``commit=False`` keeps the row open so the
        next call adds to it); with ``step``, calls for the same step merge into one row, which is
        written once a later step is logged (or ``commit=True``)."""
        self._check_live()
        if not isinstance(data, Mapping):
            raise InvalidSpecError(f"run.log takes a dict of metrics, not {type(data).__name__}")
        values = {str(k): _metric_value(str(k), v) for k, v in data.items()}  # all checked before any is kept
        if step is not None:
            if step < self._step:
                raise InvalidSpecError(f"step {step} is before the current step {self._step}; steps only increase")
            if step > self._step:
                self._close_row()
                self._step = step
        if commit is None:
            commit = step is None
        row = self._open
        if row is None:
            row = self._open = {"_step": self._step}
        row["_time"] = round(time.time(), 3)
        for k, v in values.items():
            row[k] = v
            if not k.startswith("_") and k not in self._summary_set:
                dict.__setitem__(self.summary, k, v)
        if commit:
            self._close_row()
        now = time.monotonic()
        if len(self._buffer) >= FLUSH_ROWS or (self._buffer and now - self._last_flush > FLUSH_SECONDS):
            self._flush()

    def _close_row(self) -> None:
        """Move the open row (if any) into the write buffer and advance the step."""
        if self._open is not None:
            with self._buffer_lock:
                self._buffer.append(self._open)
            self._open = None
            self._step += 1

    def set_summary(self, **values: Any) -> None:
        """Override summary values (they then no longer follow the last logged value)."""
        checked = {k: _metric_value(k, v, "run.set_summary") for k, v in values.items()}
        self._summary_set.update(checked)
        dict.update(self.summary, checked)
        self._save()

    def update_config(self, values: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Add or replace config keys after the run started, and save them (W&B's ``run.config.update``):
        a trainer learns its hyperparameters only once training begins."""
        self._check_live()
        if values is not None and not isinstance(values, Mapping):
            raise InvalidSpecError(f"run.update_config takes a dict, not {type(values).__name__}")
        merged = check_metadata({**self._doc.get("config", {}), **dict(values or {}), **more}, "config")
        self._save(config=merged)
        self.config.reload(merged)

    def _flush(self) -> None:
        with self._buffer_lock:  # the heartbeat thread flushes too: one writer of the history at a time
            if self._buffer:
                # default=str: rows are checked when logged; should a value still slip through it is kept as text
                lines = [json.dumps(r, separators=(",", ":"), allow_nan=True, default=str) for r in self._buffer]
                # live history sits beside the run's record, so other processes and machines can watch it
                self._reg.meta.append_history(self.project, self.id, ("\n".join(lines) + "\n").encode())
                self._buffer.clear()
            self._last_flush = time.monotonic()

    def finish(self, exit_code: int = 0) -> None:
        """Flush metrics, store the history as one blob, and mark the run finished (or failed).

        The live history file is deleted only once the run's record names the blob that replaces it:
        if storing the blob fails, the run is still marked ended, its history stays readable from the
        live file and the error is raised; if the record cannot be saved, the run stays live and
        ``finish()`` can be called again (the exit hook does)."""
        global _current
        if not self._live:
            return
        self._stop_beat.set()
        self._close_row()
        self._flush()  # on failure the rows stay buffered and the run live: nothing is lost
        generation = self._reg.meta.gc_generation()  # before the blob is stored: see MetadataStore.finish_run
        raw = self._reg.meta.read_history(self.project, self.id)
        history, error, columns = self._doc.get("history"), None, None  # a resumed run keeps what it had
        if raw:
            try:
                rows = self._stored_rows(raw)
                columns = _columnar(rows)
                history = {"blob": self._reg.blobs.put_bytes(columns)[0], "rows": len(rows)}
            except Exception as e:  # keep the live file; history() reads it
                error = e
        final = dict(state="finished" if exit_code == 0 else "failed", exit_code=exit_code, ended_at=envinfo.now(),
                     history=history, steps=self._step)
        with self._save_lock:
            self._doc.update(final)
            waited = 0.0
            while True:
                try:
                    self._reg.meta.finish_run(self._record(), gc_generation=generation)
                    break
                except StaleGeneration as e:  # a gc ran (or runs) between storing the history blob and this record
                    if e.running and waited < 300:
                        time.sleep(0.2)
                        waited += 0.2
                    elif e.running:
                        raise
                    generation = e.current
                    if columns is not None:
                        self._reg.blobs.put_bytes(columns)
        self._live = False
        if self in _live_runs:
            _live_runs.remove(self)
        if history is not None and raw:
            try:
                self._reg.meta.drop_history(self.project, self.id)
            except OSError:  # a leftover copy of what the blob holds: harmless
                pass
        if _current is self:
            _current = None
        if error is not None:
            raise error

    # -- artifacts --------------------------------------------------------------------------
    def log_artifact(self, artifact: "Artifact | str", name: str | None = None, type: str | None = None,
                     aliases: Iterable[str] | None = None, code: str | None = None) -> "Artifact":
        """Log a draft (or a file or folder path) as a new version; this run is its producer.

        ``code`` is the source of the step that made it (the magics pass the cell)."""
        self._check_live()
        if not isinstance(artifact, Artifact):
            path = os.fspath(artifact)
            art = Artifact(name or os.path.basename(os.path.abspath(path)).replace(" ", "_"), type=type or "unspecified")
            art.add_dir(path) if os.path.isdir(path) else art.add_file(path)
            artifact = art
        logged = self._reg.log(artifact, artifact.project or self.project, aliases or (), run=self, code=code)
        if logged.id not in self._doc.setdefault("outputs", []):
            # not written now: each version already names its run (lineage reads that); the list is
            # saved with the next heartbeat and at finish(), saving a shard write per log
            self._doc["outputs"].append(logged.id)
        return logged

    def use_artifact(self, spec: "str | Artifact", type: str | None = None, aliases: Iterable[str] | None = None,
                     use_as: str | None = None) -> "Artifact":
        """Resolve a spec (``name:alias``, ``project/name:vN``, ``model-registry/NAME:ALIAS``, ``models:/NAME@ALIAS``)
        and record it as an input. A draft is logged first (with ``aliases``), as W&B does, and is then an input
        of this run, not an output."""
        if isinstance(spec, Artifact) and spec.state == "PENDING":
            self._check_live()
            self._reg.log(spec, spec.project or self.project, aliases or ())
        art = self._reg.artifact(spec.id if isinstance(spec, Artifact) else spec, self.project, type)
        if self._live and art.id not in self._doc.setdefault("inputs", []):
            with self._save_lock:  # the store checks the version still exists as it records the use
                stored = self._reg.meta.use_version(self.project, self.id, art.id)
                self._doc["inputs"] = list(stored.inputs)
        return art

    def link_artifact(self, artifact: "Artifact | str", target_path: str, aliases: Iterable[str] | None = None) -> Any:
        """Link a logged version (or a spec such as ``"model:best"``, read in this run's project) into a
        registered model (``"ensemble_all"`` or ``"model-registry/ensemble_all"``)."""
        from .models import link

        if isinstance(artifact, str):
            artifact = self._reg.artifact(artifact, self.project)
        elif artifact.state == "PENDING":  # a draft is logged by this run first, as W&B does
            artifact = self.log_artifact(artifact)
        return link(self._reg, artifact, target_path.rsplit("/", 1)[-1], aliases or ())

    # -- W&B's model helpers -------------------------------------------------------------------
    def log_model(self, path: "str | os.PathLike[str]", name: str | None = None,
                  aliases: Iterable[str] | None = None) -> "Artifact":
        """Log a model file or folder as an artifact of type ``model`` (W&B's ``run.log_model``); the name
        defaults to ``run-<run id>-<file name>``."""
        name = name or _safe_name(f"run-{self.id}-{os.path.basename(os.path.abspath(os.fspath(path)))}")
        return self.log_artifact(os.fspath(path), name=name, type="model", aliases=aliases)

    def use_model(self, name: str) -> str:
        """Use a model artifact and return its local path: the file itself when it holds one file, else the
        folder (W&B's ``run.use_model``). Its type must contain ``model``."""
        art = self.use_artifact(name)
        if "model" not in art.type.lower():
            raise InvalidSpecError(f"{art.id} is of type {art.type!r}; use_model takes artifacts whose type contains "
                                   "'model' (use use_artifact(...).download() for others)")
        folder = art.download()
        files = os.listdir(folder)
        return os.path.join(folder, files[0]) if len(files) == 1 and os.path.isfile(os.path.join(folder, files[0])) \
            else folder

    def link_model(self, path: "str | os.PathLike[str]", registered_model_name: str, name: str | None = None,
                   aliases: Iterable[str] | None = None) -> Any:
        """Log a model file or folder (or find the identical version) and link it to a registered model, created
        on first link (W&B's ``run.link_model``). Returns the linked version."""
        logged = self.log_model(path, name)
        return self.link_artifact(logged, registered_model_name, aliases)

    # -- reading ----------------------------------------------------------------------------
    def history(self, keys: Sequence[str] | None = None) -> Table:
        """The metric table (``_step``, ``_time`` and every logged key)."""
        self._flush() if self._live else None
        rows = self._stored_rows(self._reg.meta.read_history(self.project, self.id))
        if self._live and self._open is not None:
            rows.append(dict(self._open))  # the current step, still open
        if keys:
            rows = [{k: r.get(k) for k in ("_step", *keys)} for r in rows]
        return Table(rows)


    def _stored_rows(self, live: bytes) -> list[dict[str, Any]]:
        """The history blob's rows (a finished run, or one resumed after it finished) followed by the live rows
        logged after them (a running or resumed run; a copy left by a finish whose cleanup failed adds nothing)."""
        hist = self._doc.get("history")
        rows: list[dict[str, Any]] = []
        if hist:
            cols = json.loads(self._reg.blobs.read_verified(hist["blob"]))
            rows = [dict(zip(cols["columns"], r)) for r in cols["rows"]]
        last = max((int(r.get("_step", -1)) for r in rows), default=-1)
        return rows + [r for r in _parse_rows(live) if int(r.get("_step", -1)) > last]


def _safe_name(text: str) -> str:
    """A collection name made from free text (a file name): other characters become ``_``."""
    import re

    name = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip("._-")[:128]
    return name or "model"


def _parse_rows(raw: bytes) -> list[dict[str, Any]]:
    """The rows of a live history file; a line torn by a crash mid-write is skipped, not fatal."""
    rows = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if line:
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows


def _columnar(rows: list[dict[str, Any]]) -> bytes:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return json.dumps({"columns": columns, "rows": [[r.get(c) for c in columns] for r in rows]},
                      separators=(",", ":"), allow_nan=True).encode()


def start_run(reg: Artifacts, project: str | None = None, name: str | None = None, job_type: str | None = None,
              config: Mapping[str, Any] | None = None, tags: Iterable[str] = (), notes: str | None = None,
              code: str | None = None, notebook: str | None = None, run_id: str | None = None,
              resume: "bool | str | None" = None, **extra: Any) -> Run:
    """Start a run, or continue one (W&B's ``id`` and ``resume``):

    * ``resume="must"``: continue run ``run_id``; NotFoundError if there is none;
    * ``"allow"``, ``True`` or ``"auto"``: continue it if it exists, else start it under that id; without an
      id, ``True``/``"auto"`` continue this project's newest crashed run of the same command, host and folder
      (a preempted job restarted as it was started), else start a new one;
    * ``"never"``, ``False`` or None: a new run; an id already taken is AlreadyExistsError.

    A continued run keeps its config (``config`` adds keys), summary, history and edges, and logs from the
    step after its last one. A run still running in another process is not taken over."""
    global _current
    project = check_name(project or os.environ.get("NB_REGISTRY_PROJECT") or DEFAULT_PROJECT, "project")
    tags = [check_name(t, "tag") for t in tags]
    if resume not in (None, True, False, "allow", "must", "never", "auto"):
        raise InvalidSpecError(f"resume={resume!r}: use 'allow', 'must', 'never', 'auto', True or False")
    if run_id is not None:
        check_name(run_id, "run id")
        existing = reg.meta.get_run(project, run_id) if _run_exists(reg, project, run_id) else None
    elif resume == "must":
        raise InvalidSpecError("resume='must' continues a run named by its id: pass id=... too")
    else:
        existing = _crashed_twin(reg, project) if resume in (True, "auto") else None
    if existing is not None:
        if resume in (None, False, "never"):
            raise AlreadyExistsError(f"run {project}/{run_id} exists already; pass resume='allow' (or 'must') to "
                                     "continue it, or choose another id")
        run = _resume(reg, existing, config, tags, notes)
    elif resume == "must":
        raise NotFoundError(f"no run {project}/{run_id} to resume; runs of project {project!r}: "
                            f"{', '.join(r.id for r in reg.meta.runs(project)[-10:]) or '(none)'}")
    else:
        run_id = run_id or secrets.token_hex(4)
        doc = {
            "id": run_id, "project": project, "name": name or f"{job_type or 'run'}-{run_id}", "job_type": job_type,
            "config": check_metadata(dict(config or {}), "config"), "tags": tags, "notes": notes,
            "state": "running", "exit_code": None, **_process(), "started_at": envinfo.now(), "ended_at": None,
            "git": envinfo.git_info(), "notebook": notebook, "code": code, "inputs": [], "outputs": [], "summary": {},
            "history": None, "steps": 0, **extra,
        }
        run = Run(reg, doc, live=True)
        run._save()
    _current = run
    _live_runs.append(run)
    run._start_heartbeat()
    _install_exit_hook()
    return run


def _process() -> dict[str, Any]:
    """What a run records about the process that runs it (again when a new process continues it)."""
    return {"user": envinfo.user(), "host": envinfo.host(), "pid": os.getpid(),
            "pid_start": (proc_stat(os.getpid()) or (None, None))[1], "python": sys.version.split()[0],
            "heartbeat_at": envinfo.now(), "command": [sys.executable, *sys.argv], "cwd": os.getcwd()}


def _crashed_twin(reg: Artifacts, project: str) -> RunRecord | None:
    """This project's newest crashed run started by the same command, on this host, in this folder."""
    here = _process()
    twins = [r for r in reg.meta.runs(project) if r.host == here["host"] and r.cwd == here["cwd"]
             and list(r.command) == here["command"] and effective_state(r.to_doc()) == "crashed"]
    return max(twins, key=lambda r: r.started_at) if twins else None


def _resume(reg: Artifacts, rec: RunRecord, config: Mapping[str, Any] | None, tags: Iterable[str],
            notes: str | None) -> Run:
    """Continue a run in this process: the next step follows the last one stored (blob or live rows)."""
    doc = json.loads(json.dumps(rec.to_doc()))
    if effective_state(doc) == "running":
        raise AlreadyExistsError(f"run {rec.path} is still running (pid {doc.get('pid')} on {doc.get('host')}, last "
                                 f"heartbeat {doc.get('heartbeat_at')}); stop it before continuing it here")
    doc.update(_process(), state="running", exit_code=None, ended_at=None,
               config=check_metadata({**doc.get("config", {}), **dict(config or {})}, "config"),
               tags=sorted({*doc.get("tags", []), *tags}), notes=notes if notes is not None else doc.get("notes"),
               resumed_at=[*(doc.get("resumed_at") or []), envinfo.now()])
    run = Run(reg, doc, live=True)
    rows = run._stored_rows(reg.meta.read_history(rec.project, rec.id))
    run._step = max(int(doc.get("steps") or 0), max((int(r.get("_step", -1)) for r in rows), default=-1) + 1)
    run._save(steps=run._step)
    return run


def _install_exit_hook() -> None:
    """Finish the current run when the interpreter exits (as W&B does): a script that never calls
    ``finish()`` keeps its buffered metrics, an uncaught exception marks the run failed (exit code 1),
    and so does ``sys.exit(N)`` with a non-zero N (exit code N; ``sys.exit()``/``sys.exit(0)`` is a
    clean exit). Python tells an exit hook neither, so ``sys.excepthook`` and ``sys.exit`` are wrapped."""
    if _exit_hook["installed"]:
        return
    _exit_hook["installed"] = True
    previous = sys.excepthook

    def excepthook(tp: Any, value: Any, tb: Any) -> None:
        _exit_hook["failed"] = True
        previous(tp, value, tb)

    sys.excepthook = excepthook
    previous_exit = sys.exit

    def recording_exit(status: Any = None) -> Any:
        if not _in_ipython():  # IPython catches SystemExit in a cell: the kernel goes on
            _exit_hook["code"] = _exit_status(status)
        return previous_exit(status)

    recording_exit.__doc__ = previous_exit.__doc__
    sys.exit = recording_exit
    atexit.register(_finish_at_exit)


def _in_ipython() -> bool:
    import builtins

    return bool(getattr(builtins, "__IPYTHON__", False))


def _exit_status(status: Any) -> int:
    """The process exit status ``sys.exit(status)`` gives: None is 0, an int itself, anything else 1."""
    if status is None:
        return 0
    return int(status) if isinstance(status, int) else 1


def _finish_at_exit() -> None:
    code = 1 if _exit_hook["failed"] else int(_exit_hook.get("code") or 0)
    for run in list(reversed(_live_runs)):
        if run._live and run._doc.get("pid") == os.getpid():  # not in a forked child
            try:
                run.finish(exit_code=code)
            except Exception:  # never turn a clean exit into a traceback
                pass


def current() -> Run | None:
    return _current


def set_current(run: Any) -> None:
    """Make ``run`` this process's current run (None: none); for runs that are not :class:`Run` (a disabled one)."""
    global _current
    _current = run


def load_run(reg: Artifacts, run_path: str) -> Run:
    """A run by ``project/id`` or by ``id`` alone (searched in every project)."""
    project, _, run_id = run_path.rpartition("/")
    found = [reg.meta.get_run(project, run_id)] if project and _run_exists(reg, project, run_id) else \
        [] if project else reg.meta.find_runs(run_id)
    if not found:
        raise NotFoundError(f"no run {run_path!r}" + (f" in project {project!r}" if project else ""))
    rec = found[0]
    if _current is not None and _current.id == rec.id and _current.project == rec.project:
        return _current
    return Run(reg, json.loads(json.dumps(rec.to_doc())), live=False)


def _run_exists(reg: Artifacts, project: str, run_id: str) -> bool:
    try:
        reg.meta.get_run(project, run_id)
        return True
    except NotFoundError:
        return False


def all_run_docs(reg: Artifacts, project: str | None = None) -> list[dict[str, Any]]:
    return [r.to_doc() for r in reg.meta.runs(project)]
