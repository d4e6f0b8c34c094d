"""The model registry: registered models that bookmark artifact versions, with stage aliases.

A registered model lives above projects (W&B's ``model-registry`` project): a description, a
Markdown model card, tags, and its linked versions (each names an artifact version id: no bytes are
copied), with stage aliases whose every move is kept in an audit history.

Moving an alias (or linking a version) writes an *event* in the same atomic step as the move. Events
are delivered by an automation worker its owner starts on purpose (:mod:`nb_registry.automations`),
running only hooks from that user's own configuration: nothing stored in a registry ever runs. In
this process, callbacks registered with :func:`on_alias_change` are called after a move.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Iterable

from . import envinfo
from .artifact import Artifact
from .artifacts import Artifacts
from .errors import InvalidSpecError, NotFoundError
from .names import check_alias, check_model_name, check_movable_alias, check_name, version_number
from .store.records import AliasEvent, ModelRecord

_callbacks: list[Callable[[dict[str, Any]], Any]] = []


def on_alias_change(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """Call ``fn(event)`` in this process after any registered-model alias moves. Usable as a decorator."""
    _callbacks.append(fn)
    return fn


def create_registered_model(reg: Artifacts, name: str, description: str | None = None,
                            model_card: str | None = None, tags: Iterable[str] = ()) -> "RegisteredModel":
    check_model_name(name)
    record = ModelRecord(name, description, model_card or "", tuple(sorted({check_name(t, "tag") for t in tags})),
                         created_by=envinfo.user())
    reg.meta.create_model(record)
    return RegisteredModel.load(reg, name)


def registered_models(reg: Artifacts, tag: str | None = None, search: str | None = None) -> list["RegisteredModel"]:
    """Every registered model, optionally with a tag and/or text in its name or description."""
    out = []
    for record in reg.meta.models():
        if tag is not None and tag not in record.tags:
            continue
        if search and search.lower() not in f"{record.name}\n{record.description or ''}".lower():
            continue
        out.append(RegisteredModel(reg, record))
    return out


def link(reg: Artifacts, art: Artifact, name: str, aliases: Iterable[str] = ()) -> Artifact:
    """Bookmark a logged artifact version as the next version of registered model ``name``
    (created on first link, as W&B does). Linking the same version again only moves aliases."""
    art.require_logged()
    check_model_name(name)
    aliases = [check_alias(a) for a in dict.fromkeys(aliases) if a != "latest"]
    try:
        linked = reg.meta.link(name, art.id, aliases=aliases, by=envinfo.user())
    except NotFoundError as e:
        raise NotFoundError(f"cannot link {art.id}: {e}") from None
    _notify(linked.moved)
    out = reg.artifact(art.id)
    out.linked_as = f"model-registry/{name}:v{linked.version.version}"
    return out


def _notify(events: Iterable[AliasEvent]) -> None:
    """Call this process's callbacks for committed moves. A callback that raises does not stop the others;
    the first such error is raised once they have all run (the move itself is already committed)."""
    error: BaseException | None = None
    for event in events:
        for fn in list(_callbacks):
            try:
                fn(event.to_dict())
            except Exception as e:
                error = error or e
    if error is not None:
        raise error


_WHEN_FORMS = ("a datetime, or an ISO 8601 string such as '2026-11-01T12:00', '2026-11-01 12:00:00+00:00' "
               "or '2026-11-01' (local time unless it has an offset)")


def _moment(when: Any) -> _dt.datetime:
    """A timezone-aware moment from a datetime or an ISO string; naive ones are local time."""
    if isinstance(when, str):
        try:
            when = _dt.datetime.fromisoformat(when.strip())
        except ValueError:
            raise InvalidSpecError(f"cannot read {when!r} as a time; expected {_WHEN_FORMS}") from None
    elif isinstance(when, _dt.date) and not isinstance(when, _dt.datetime):
        when = _dt.datetime.combine(when, _dt.time())
    if not isinstance(when, _dt.datetime):
        raise InvalidSpecError(f"a time is {_WHEN_FORMS}, not {type(when).__name__} {when!r}")
    try:
        return when if when.tzinfo else when.astimezone()  # astimezone() reads a naive datetime as local time
    except (OverflowError, ValueError, OSError) as e:
        raise InvalidSpecError(f"cannot use {when!r} as a time: {e}") from None


class RegisteredModel:
    """A registered model: linked versions, stage aliases with history, model card and tags."""

    def __init__(self, reg: Artifacts, record: ModelRecord, project: str | None = None) -> None:
        self._reg, self.record = reg, record
        self._project = project  # the project a short artifact spec ("clf:v3") is read in

    @classmethod
    def load(cls, reg: Artifacts, name: str, project: str | None = None) -> "RegisteredModel":
        check_model_name(name)
        return cls(reg, reg.meta.get_model(name), project)

    def _refresh(self) -> "RegisteredModel":
        self.record = self._reg.meta.get_model(self.name)
        return self

    def __repr__(self) -> str:
        return f"<RegisteredModel {self.name} versions={self.record.count} aliases={self.aliases}>"

    def _repr_html_(self) -> str:
        from .display import registered_model_html

        return registered_model_html(self)

    name = property(lambda self: self.record.name)
    description = property(lambda self: self.record.description)
    model_card = property(lambda self: self.record.model_card)
    tags = property(lambda self: list(self.record.tags))
    created_at = property(lambda self: self.record.created_at)
    version_count = property(lambda self: self.record.count)

    @property
    def aliases(self) -> dict[str, int]:
        """``{alias: version number}``."""
        return dict(self.record.aliases)

    def _version_number(self, version: "int | str | Artifact") -> int:
        """The registered version number ``version`` names (``vN``, N, or a linked artifact / spec)."""
        links = self._reg.meta.model_versions(self.name)
        if isinstance(version, bool) or not isinstance(version, (int, str, Artifact)):
            raise InvalidSpecError(f"a version is 'vN', a number, an artifact or a spec, not {version!r}")
        if isinstance(version, (Artifact, str)) and not (isinstance(version, str) and version_number(version) is not None):
            vid = version.id if isinstance(version, Artifact) else self._reg.artifact(version, self._project).id
            for v in links:
                if v.artifact == vid:
                    return v.version
            raise NotFoundError(f"{vid} is not linked to registered model {self.name!r}; link it first (api.link)")
        n = version_number(version) if isinstance(version, str) else int(version)
        if n is None or all(v.version != n for v in links):
            have = ", ".join(f"v{v.version}" for v in links) or "(none)"
            raise NotFoundError(f"registered model {self.name!r} has no version {version!r}; versions: {have}")
        return n

    def versions(self) -> list[dict[str, Any]]:
        """Linked versions with their aliases, source artifact, producing run, metadata and tags."""
        aliases = self.aliases
        out = []
        for v in self._reg.meta.model_versions(self.name):
            row = {"version": f"v{v.version}", "artifact": v.artifact, "digest": v.digest,
                   "aliases": sorted(a for a, n in aliases.items() if n == v.version),
                   "linked_at": v.linked_at, "linked_by": v.linked_by, "run": None, "metadata": {}, "tags": dict(v.tags)}
            try:
                art = self._reg.artifact(v.artifact)
                row.update(run=art.producer_run, metadata=art.metadata, type=art.type)
            except NotFoundError:
                row["missing"] = True
            out.append(row)
        return out

    def artifact(self, selector: str = "latest") -> Artifact:
        """The artifact version behind an alias, ``vN`` or ``latest``."""
        return self._reg.registered(self.name, selector)

    def set_alias(self, alias: str, version: "int | str | Artifact") -> "RegisteredModel":
        """Point ``alias`` at a version (``vN``, a number, or a linked artifact/spec). Recorded in history."""
        check_movable_alias(alias)
        if isinstance(version, Artifact):
            version.require_logged()
        event = self._reg.meta.move_model_alias(self.name, alias, self._version_number(version), by=envinfo.user())
        self._refresh()
        _notify([event] if event else [])
        return self

    def remove_alias(self, alias: str, version: "int | str | None" = None) -> "RegisteredModel":
        """Remove ``alias``; with ``version`` (``vN`` or a number) only if it is on that version,
        checked in the same step (else :class:`InvalidSpecError` saying where it is)."""
        check_movable_alias(alias)
        n = self._version_number(version) if version is not None else None
        self._reg.meta.remove_model_alias(self.name, alias, by=envinfo.user(), version=n)
        return self._refresh()

    def history(self, alias: str | None = None) -> list[dict[str, Any]]:
        """Every alias move, oldest first: ``{model, alias, from, to, by, at}`` (``from``/``to`` version numbers)."""
        return [e.to_dict() for e in self._reg.meta.model_history(self.name) if alias is None or e.alias == alias]

    def alias_at(self, alias: str, when: Any) -> int | None:
        """Which version number held ``alias`` at time ``when``; None if none did.

        ``when`` is a ``datetime`` or an ISO 8601 string (``"2026-11-01T12:00"``, ``"2026-11-01"``);
        without a UTC offset either is the user's local time, as ``datetime.now()`` gives it."""
        t = _moment(when)
        holder = None
        for event in self.history(alias):
            if envinfo.parse_time(event["at"]) <= t:
                holder = event["to"]
        return holder

    def rollback(self, alias: str = "production") -> "RegisteredModel":
        """Move ``alias`` back to the version that held it before its last move."""
        moves = self.history(alias)
        if not moves or moves[-1]["from"] is None:
            raise NotFoundError(f"alias {alias!r} of {self.name!r} has no earlier version to roll back to")
        return self.set_alias(alias, moves[-1]["from"])

    def update(self, description: str | None = None, model_card: str | None = None,
               tags: Iterable[str] | None = None) -> "RegisteredModel":
        """Edit the description, the Markdown model card or the tags."""
        new_tags = sorted({check_name(t, "tag") for t in tags}) if tags is not None else None
        self.record = self._reg.meta.update_model(self.name, description=description, model_card=model_card, tags=new_tags)
        return self

    def set_version_tag(self, version: "int | str | Artifact", key: str, value: str) -> dict[str, str]:
        """Tag a registered version (MLflow's ``set_model_version_tag``); returns its tags."""
        if not isinstance(key, str) or not key.strip():
            raise InvalidSpecError(f"a tag key is a non-empty string, not {key!r}")
        return dict(self._reg.meta.set_model_version_tag(self.name, self._version_number(version), key, str(value)).tags)

    def delete_version_tag(self, version: "int | str | Artifact", key: str) -> dict[str, str]:
        """Remove a tag of a registered version; returns the remaining tags."""
        return dict(self._reg.meta.set_model_version_tag(self.name, self._version_number(version), key, None).tags)

    def events(self) -> list[dict[str, Any]]:
        """The events this model's alias moves and links announced, oldest first."""
        from .automations import all_events

        return [e.to_dict() for e in all_events(self._reg.meta) if e.model == self.name]

    def deliveries(self) -> list[dict[str, Any]]:
        """What automation workers did with this model's events (the newest record per event and hook)."""
        return [d.to_dict() for d in self._reg.meta.deliveries(self.name)]

    def automations(self) -> list[dict[str, Any]]:
        """The hooks for this model in *your* configuration (see :mod:`nb_registry.automations`)."""
        from .automations import hooks_for

        return hooks_for(self.name)

    def automation_runs(self) -> list[dict[str, Any]]:
        """Deliveries of this model's events, shaped for display: hook, alias, version, status, detail."""
        events = {e["id"]: e for e in self.events()}
        hooks = {h["name"]: h for h in self.automations()}
        out = []
        for d in self.deliveries():
            e = events.get(d["event"], {})
            hook = hooks.get(d["hook"], {})
            out.append({"automation": d["hook"], "command": hook.get("command") or hook.get("webhook"),
                        "alias": e.get("alias"), "version": e.get("to"), "status": d["status"],
                        "attempts": d["attempts"], "detail": d["detail"], "at": d["at"], "worker": d.get("worker"),
                        "exit_code": _exit_code(d["detail"]), "output": d["detail"]})
        return out


def _exit_code(detail: str) -> int | None:
    if detail.startswith("exit "):
        try:
            return int(detail.split(None, 2)[1].rstrip(":"))
        except (IndexError, ValueError):
            return None
    return None
