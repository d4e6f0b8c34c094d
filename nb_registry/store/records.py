"""The records the metadata store speaks: small, frozen, JSON-ready. No I/O.

Every backend (TinyDB shards, PostgreSQL, a bucket) stores and returns these, so the domain
never sees a backend's format: no shard paths, no doc ids, no rows. ``to_doc``/``from_doc``
give the JSON form (the one TinyDB files have always held, so registries written by 0.1.0 read
as they are); unknown keys a newer writer added are kept in ``extra`` rather than dropped.

Mappings inside a record (metadata, config, aliases) are plain dicts for speed and JSON; treat
them as read-only. The domain copies them before handing them to users.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = [
    "Version", "Collection", "CollectionInfo", "AliasEvent", "RunRecord", "ModelRecord", "ModelVersion",
    "Event", "Delivery", "Committed", "Linked", "Removed", "Change", "version_id",
]


def version_id(project: str, name: str, version: int) -> str:
    """The stable id of an artifact version: ``project/name:vN``."""
    return f"{project}/{name}:v{version}"


def _split(doc: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    known = {k: doc[k] for k in fields if k in doc}
    extra = {k: v for k, v in doc.items() if k not in fields}
    return known, extra


@dataclass(frozen=True)
class Version:
    """One logged artifact version. ``aliases`` is a snapshot taken when it was read (``latest`` first
    when it was the newest then); everything else never changes after the commit, except
    ``description`` and ``metadata`` (edited by ``artifact.save()``)."""

    project: str
    name: str
    version: int
    type: str
    digest: str  # over the manifest's sorted ``path:digest`` lines
    manifest: str  # the blob holding the entries
    size: int = 0
    files: int = 0
    metadata: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None
    deps: tuple[str, ...] = ()  # version ids this one references
    created_at: str = ""
    created_by: str | None = None
    host: str | None = None
    run: str | None = None  # ``project/run_id`` of the producing run
    git: Mapping[str, Any] | None = None
    code: str | None = None  # blob of the source of the step that made it
    aliases: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    STORED = ("project", "name", "version", "type", "digest", "manifest", "size", "files", "metadata", "description",
              "deps", "created_at", "created_by", "host", "run", "git", "code")

    @property
    def id(self) -> str:
        return version_id(self.project, self.name, self.version)

    def to_doc(self) -> dict[str, Any]:
        """The stored JSON form (without the alias snapshot)."""
        doc = {**self.extra, **{k: getattr(self, k) for k in self.STORED}}
        doc["deps"] = list(self.deps)
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any], aliases: tuple[str, ...] = ()) -> "Version":
        if _STORED_SET.issuperset(doc):  # the common case: no field of a newer writer to keep aside
            known = dict(doc)
            extra: dict[str, Any] = {}
        else:
            known, extra = _split(doc, cls.STORED)
        known["deps"] = tuple(known.get("deps") or ())
        known["metadata"] = known.get("metadata") or {}
        return cls(**known, aliases=tuple(aliases), extra=extra)


_STORED_SET = frozenset(Version.STORED)


@dataclass(frozen=True)
class CollectionInfo:
    """A row of the collection listing: what every listing needs, cheap on every backend."""

    project: str
    name: str
    type: str
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "name": self.name, "type": self.type, "created_at": self.created_at}


@dataclass(frozen=True)
class Collection:
    """A collection (W&B's artifact sequence) with its current aliases and policy."""

    project: str
    name: str
    type: str
    created_at: str
    aliases: Mapping[str, int]  # user aliases -> version number (``latest`` is implied)
    latest: int | None  # the newest live version number
    count: int  # live versions
    retention: Mapping[str, Any] | None = None

    def aliases_of(self, version: int) -> tuple[str, ...]:
        """The aliases of a version, ``latest`` first when it is the newest."""
        names = sorted(a for a, n in self.aliases.items() if n == version)
        return ("latest", *names) if version == self.latest else tuple(names)


@dataclass(frozen=True)
class AliasEvent:
    """One alias move in an audit history: ``to`` None is a removal, ``from_version`` None a first set."""

    alias: str
    from_version: int | None
    to_version: int | None
    by: str
    at: str
    model: str | None = None  # set for registered-model aliases

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"alias": self.alias, "from": self.from_version, "to": self.to_version, "by": self.by, "at": self.at}
        if self.model is not None:
            out = {"model": self.model, **out}
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "AliasEvent":
        return cls(d["alias"], d.get("from"), d.get("to"), d.get("by") or "", d.get("at") or "", d.get("model"))


def move_aliases(current: Mapping[str, int], version: int, aliases: Any, by: str, at: str,
                 model: str | None = None) -> tuple[dict[str, int], list[AliasEvent]]:
    """Point ``aliases`` at ``version``: the new alias map, and one history event per alias that moved (one
    already on ``version`` does not). Every backend and both kinds of alias (a collection's, a registered
    model's) move by this one rule."""
    out = dict(current)
    events = []
    for a in aliases:
        before = out.get(a)
        if before == version:
            continue
        out[a] = version
        events.append(AliasEvent(a, before, version, by, at, model))
    return out, events


def replay_aliases(history: Any) -> dict[str, int]:
    """The aliases an alias history leads to, replayed from its first event (a removal has ``to_version`` None)."""
    out: dict[str, int] = {}
    for e in history:
        if e.to_version is None:
            out.pop(e.alias, None)
        else:
            out[e.alias] = e.to_version
    return out


@dataclass(frozen=True)
class RunRecord:
    """A run: a training job, a notebook kernel, a CLI call. Written by the process that owns it."""

    project: str
    id: str
    name: str
    state: str = "running"  # as stored; see nb_registry.runstate.effective_state for crashed runs
    job_type: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    notes: str | None = None
    exit_code: int | None = None
    user: str | None = None
    host: str | None = None
    pid: int | None = None
    pid_start: str | None = None
    python: str | None = None
    started_at: str = ""
    ended_at: str | None = None
    heartbeat_at: str | None = None
    git: Mapping[str, Any] | None = None
    command: tuple[str, ...] = ()
    cwd: str | None = None
    notebook: str | None = None
    code: str | None = None
    inputs: tuple[str, ...] = ()  # version ids used
    outputs: tuple[str, ...] = ()  # version ids produced
    history: Mapping[str, Any] | None = None  # {"blob", "rows"} once finished
    steps: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    TUPLES = ("tags", "command", "inputs", "outputs")

    @property
    def path(self) -> str:
        return f"{self.project}/{self.id}"

    def to_doc(self) -> dict[str, Any]:
        doc = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name != "extra":
                value = getattr(self, f.name)
                doc[f.name] = list(value) if f.name in self.TUPLES else value
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "RunRecord":
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name != "extra")
        known, extra = _split(doc, names)
        for k in cls.TUPLES:
            if k in known:
                known[k] = tuple(known[k] or ())
        for k in ("config", "summary"):
            if k in known and known[k] is None:
                known[k] = {}
        known.setdefault("name", known.get("id", ""))
        return cls(**known, extra=extra)

    def replace(self, **changes: Any) -> "RunRecord":
        extra = dict(self.extra)
        fields = {f.name for f in dataclasses.fields(self)}
        for k in [k for k in changes if k not in fields]:
            extra[k] = changes.pop(k)
        for k in self.TUPLES:
            if k in changes:
                changes[k] = tuple(changes[k] or ())
        return dataclasses.replace(self, **changes, extra=extra)


@dataclass(frozen=True)
class ModelRecord:
    """A registered model: a bookmark list of artifact versions with stage aliases."""

    name: str
    description: str | None = None
    model_card: str = ""
    tags: tuple[str, ...] = ()
    aliases: Mapping[str, int] = field(default_factory=dict)  # alias -> registered version number
    created_at: str = ""
    created_by: str | None = None
    latest: int | None = None  # the newest registered version number
    count: int = 0


@dataclass(frozen=True)
class ModelVersion:
    """A link: registered version ``version`` of ``model`` is artifact version ``artifact`` (no copy)."""

    model: str
    version: int
    artifact: str  # version id
    digest: str
    linked_at: str = ""
    linked_by: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """An outbox entry, written in the same atomic step as the change it announces: a registered-model
    alias moved or removed, or a version linked. Delivered (at least once) by an automation worker."""

    id: int  # increasing, unique in the registry
    kind: str  # "alias" (moved or removed: to_version None) or "link"
    model: str
    alias: str | None
    from_version: int | None
    to_version: int | None
    artifact: str | None
    by: str
    at: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "model": self.model, "alias": self.alias, "from": self.from_version,
                "to": self.to_version, "artifact": self.artifact, "by": self.by, "at": self.at}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Event":
        return cls(int(d["id"]), d["kind"], d["model"], d.get("alias"), d.get("from"), d.get("to"), d.get("artifact"),
                   d.get("by") or "", d.get("at") or "")


@dataclass(frozen=True)
class Delivery:
    """What one automation worker did with one event for one of its hooks."""

    event: int
    hook: str  # the hook's name in the worker owner's configuration
    status: str  # "delivered", "failed" (will retry) or "gave_up"
    attempts: int
    at: str
    detail: str = ""  # exit code and output tail, or the HTTP status
    worker: str | None = None  # user@host of the worker
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Delivery":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class Committed:
    """What ``commit_version`` did: the version (new, or the identical existing one) and the alias moves."""

    version: Version
    created: bool
    moved: tuple[AliasEvent, ...] = ()


@dataclass(frozen=True)
class Linked:
    version: ModelVersion
    created: bool
    moved: tuple[AliasEvent, ...] = ()


@dataclass(frozen=True)
class Removed:
    """A version retention asked to remove, and whether it was (``reason`` says why not)."""

    id: str
    removed: bool
    reason: str = ""
    digest: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Change:
    """Something changed since a cursor: a collection (its versions or aliases), a run, a registered model."""

    kind: str  # "collection", "run", "model"
    key: str  # "project/name", "project/run_id", model name
