"""The model registry: registered models that bookmark artifact versions, with stage aliases.

A registered model lives above projects (W&B's ``model-registry`` project) in one small shard,
``models/<name>.json``: the model doc (description, Markdown model card, tags, aliases), its
linked versions (each names an artifact version id: no bytes are copied), the audit history of
every alias move (who, when, from which version to which), automations and their results.

Moving an alias commits first; then in-process callbacks (``on_alias_change``) and stored
automations (a shell command, with ``NB_REGISTRY_*`` variables) run in the moving process. A
failing automation never undoes the move: its exit status and output are recorded.
"""

from __future__ import annotations

import datetime as _dt
import os
import signal
import subprocess
from typing import TYPE_CHECKING, Any, Callable, Iterable

from . import envinfo
from .errors import AlreadyExistsError, InvalidSpecError, NotFoundError, RegistryError
from .names import Spec, check_alias, check_movable_alias, check_name, version_number

if TYPE_CHECKING:
    from .artifact import Artifact
    from .registry import Registry

AUTOMATION_TIMEOUT = 600
_callbacks: list[Callable[[dict[str, Any]], Any]] = []


def model_rel(name: str) -> str:
    return f"models/{name}.json"


def on_alias_change(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """Call ``fn(event)`` in this process after any registered-model alias moves. Usable as a decorator."""
    _callbacks.append(fn)
    return fn


def _doc(data: dict[str, Any]) -> dict[str, Any]:
    return data.get("model", {}).get("1", {})


def _new_model(name: str, description: str | None, model_card: str | None, tags: Iterable[str]) -> dict[str, Any]:
    return {"name": name, "description": description, "model_card": model_card or "",
            "tags": sorted({check_name(t, "tag") for t in tags}), "aliases": {}, "next": 0,
            "created_at": envinfo.now(), "created_by": envinfo.user()}


def create_registered_model(reg: "Registry", name: str, description: str | None = None,
                            model_card: str | None = None, tags: Iterable[str] = ()) -> "RegisteredModel":
    check_name(name, "registered model name")
    doc = _new_model(name, description, model_card, tags)

    def create(data: dict[str, Any]) -> None:
        if _doc(data):
            raise AlreadyExistsError(f"registered model {name!r} already exists; open it with api.registered_model({name!r})")
        data["model"] = {"1": doc}

    with reg.meta.transaction():
        reg.meta.update(model_rel(name), create)
    return RegisteredModel.load(reg, name)


def registered_models(reg: "Registry", tag: str | None = None, search: str | None = None) -> list["RegisteredModel"]:
    """Every registered model, optionally with a tag and/or text in its name or description."""
    out = []
    for name in sorted(f[:-5] for f in reg.meta.listdir("models") if f.endswith(".json")):
        rm = RegisteredModel.load(reg, name)
        if tag is not None and tag not in rm.tags:
            continue
        if search and search.lower() not in f"{rm.name}\n{rm.description or ''}".lower():
            continue
        out.append(rm)
    return out


def link(reg: "Registry", art: "Artifact", name: str, aliases: Iterable[str] = ()) -> "Artifact":
    """Bookmark a logged artifact version as the next version of registered model ``name``
    (created on first link, as W&B does). Linking the same version again only moves aliases."""
    art._logged()
    check_name(name, "registered model name")
    aliases = [check_alias(a) for a in dict.fromkeys(aliases) if a != "latest"]
    if not reg.version_exists(art.id):
        raise NotFoundError(f"cannot link {art.id}: that artifact version does not exist")

    def do_link(data: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
        model = data.setdefault("model", {}).setdefault("1", _new_model(name, None, None, ()))
        versions = data.setdefault("versions", {})
        found = next((v for v in versions.values() if v["artifact"] == art.id), None)
        if found is None:
            found = {"version": model["next"], "artifact": art.id, "digest": art.digest,
                     "linked_at": envinfo.now(), "linked_by": envinfo.user()}
            versions[str(model["next"] + 1)] = found
            model["next"] += 1
        return found["version"], _move(data, found["version"], aliases)

    with reg.meta.transaction():
        n, events = reg.meta.update(model_rel(name), do_link)
    _after_moves(reg, name, events)
    linked = reg.artifact(art.id)
    linked.linked_as = f"model-registry/{name}:v{n}"  # type: ignore[attr-defined]
    return linked


def _move(data: dict[str, Any], version: int, aliases: Iterable[str]) -> list[dict[str, Any]]:
    model = _doc(data)
    history = data.setdefault("history", {})
    events = []
    for a in aliases:
        before = model["aliases"].get(a)
        if before == version:
            continue
        model["aliases"][a] = version
        event = {"model": model["name"], "alias": a, "from": before, "to": version, "by": envinfo.user(), "at": envinfo.now()}
        history[str(len(history) + 1)] = event
        events.append(event)
    return events


def _after_moves(reg: "Registry", name: str, events: list[dict[str, Any]]) -> None:
    """Run callbacks and automations for committed alias moves; record automation results.

    A callback that raises does not stop the other callbacks or the stored automations; the first
    such error is raised once they have all run (the move itself is already committed)."""
    if not events:
        return
    rm = RegisteredModel.load(reg, name)
    error: BaseException | None = None
    for event in events:
        for fn in list(_callbacks):
            try:
                fn(dict(event))
            except Exception as e:
                error = error or e
        for auto_id, auto in rm._data.get("automations", {}).items():
            if auto["alias"] == event["alias"]:
                _run_automation(reg, rm, auto_id, auto, event)
    if error is not None:
        raise error


def _run_automation(reg: "Registry", rm: "RegisteredModel", auto_id: str, auto: dict[str, Any], event: dict[str, Any]) -> None:
    """Run one stored command in its own process group; record its exit status and (merged) output.

    On timeout the whole group is killed (a shell's children too), so nothing outlives the record."""
    art = rm.artifact(f"v{event['to']}")
    try:
        path = art.download()
    except RegistryError as e:  # e.g. a damaged blob: recorded like any failure, the move stands
        code, output = -1, f"could not download {art.id}: {e}"
    else:
        env = dict(os.environ, NB_REGISTRY_MODEL=rm.name, NB_REGISTRY_ALIAS=event["alias"],
                   NB_REGISTRY_VERSION=f"v{event['to']}", NB_REGISTRY_ARTIFACT=art.id,
                   NB_REGISTRY_PATH=path, NB_REGISTRY_ROOT=reg.url)
        proc = subprocess.Popen(auto["command"], shell=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, errors="replace",
                                start_new_session=hasattr(os, "killpg"))
        try:
            out, _ = proc.communicate(timeout=AUTOMATION_TIMEOUT)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            if hasattr(os, "killpg"):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            else:
                proc.kill()
            out, _ = proc.communicate()
            code, out = -1, f"{out}\n[nb_registry: timed out after {AUTOMATION_TIMEOUT} s; killed]"
        output = out[-20000:]
    record = {"automation": auto_id, "command": auto["command"], "alias": event["alias"], "version": event["to"],
              "exit_code": code, "output": output, "at": envinfo.now(), "host": envinfo.host()}

    def add(data: dict[str, Any]) -> None:
        runs = data.setdefault("automation_runs", {})
        runs[str(len(runs) + 1)] = record

    with reg.meta.transaction():
        reg.meta.update(model_rel(rm.name), add)


def add_automation(reg: "Registry", name: str, alias: str, command: str) -> dict[str, Any]:
    """Store a shell command that runs whenever ``alias`` of registered model ``name`` moves."""
    check_alias(alias)
    if alias == "latest":
        raise InvalidSpecError("an automation cannot watch 'latest': it is not moved by hand (it always names the "
                               "newest linked version), and automations fire when an alias is moved; "
                               "watch a stage alias such as 'staging' or 'production'")
    if not command or not command.strip():
        raise InvalidSpecError("an automation needs a non-empty command")
    record = {"alias": alias, "command": command, "created_at": envinfo.now(), "created_by": envinfo.user()}

    def add(data: dict[str, Any]) -> None:
        if not _doc(data):
            raise NotFoundError(_missing(reg, name))
        autos = data.setdefault("automations", {})
        autos[str(max((int(k) for k in autos), default=0) + 1)] = record

    with reg.meta.transaction():
        reg.meta.update(model_rel(name), add)
    return record


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


def _missing(reg: "Registry", name: str) -> str:
    names = [f[:-5] for f in reg.meta.listdir("models") if f.endswith(".json")]
    return f"no registered model {name!r}; registered models: {', '.join(names) or '(none)'}"


def resolve_registered(reg: "Registry", spec: Spec) -> "Artifact":
    """``model-registry/NAME:ALIAS`` (or ``:vN``) -> the linked artifact version."""
    return RegisteredModel.load(reg, spec.name).artifact(spec.selector)


class RegisteredModel:
    """A registered model: linked versions, stage aliases with history, model card and tags."""

    def __init__(self, reg: "Registry", name: str, data: dict[str, Any], project: str | None = None) -> None:
        self._reg, self.name, self._data = reg, name, data
        self._project = project  # the project a short artifact spec ("clf:v3") is read in

    @classmethod
    def load(cls, reg: "Registry", name: str, project: str | None = None) -> "RegisteredModel":
        check_name(name, "registered model name")
        data = reg.meta.raw(model_rel(name))
        if not _doc(data):
            raise NotFoundError(_missing(reg, name))
        return cls(reg, name, data, project)

    def _refresh(self) -> "RegisteredModel":
        self._data = RegisteredModel.load(self._reg, self.name)._data
        return self

    def __repr__(self) -> str:
        return f"<RegisteredModel {self.name} versions={len(self._data.get('versions', {}))} aliases={self.aliases}>"

    def _repr_html_(self) -> str:
        from .display import registered_model_html

        return registered_model_html(self)

    description = property(lambda self: _doc(self._data).get("description"))
    model_card = property(lambda self: _doc(self._data).get("model_card", ""))
    tags = property(lambda self: list(_doc(self._data).get("tags", [])))
    created_at = property(lambda self: _doc(self._data).get("created_at"))

    @property
    def aliases(self) -> dict[str, int]:
        """``{alias: version number}``."""
        return dict(_doc(self._data).get("aliases", {}))

    def _version_number(self, version: "int | str | Artifact", data: dict[str, Any] | None = None) -> int:
        """The registered version number ``version`` names (``vN``, N, or a linked artifact / spec)."""
        from .artifact import Artifact

        versions = (self._data if data is None else data).get("versions", {})
        if isinstance(version, bool) or not isinstance(version, (int, str, Artifact)):
            raise InvalidSpecError(f"a version is 'vN', a number, an artifact or a spec, not {version!r}")
        if isinstance(version, (Artifact, str)) and not (isinstance(version, str) and version_number(version) is not None):
            vid = version.id if isinstance(version, Artifact) else self._reg.artifact(version, self._project).id
            for v in versions.values():
                if v["artifact"] == vid:
                    return int(v["version"])
            raise NotFoundError(f"{vid} is not linked to registered model {self.name!r}; link it first (api.link)")
        n = version_number(version) if isinstance(version, str) else int(version)
        if n is None or str(n + 1) not in versions:
            have = ", ".join(f"v{v['version']}" for v in versions.values()) or "(none)"
            raise NotFoundError(f"registered model {self.name!r} has no version {version!r}; versions: {have}")
        return n

    def versions(self) -> list[dict[str, Any]]:
        """Linked versions with their aliases, source artifact, producing run and metadata."""
        aliases = self.aliases
        out = []
        for key in sorted(self._data.get("versions", {}), key=int):
            v = self._data["versions"][key]
            row = {"version": f"v{v['version']}", "artifact": v["artifact"], "digest": v["digest"],
                   "aliases": sorted(a for a, n in aliases.items() if n == v["version"]),
                   "linked_at": v["linked_at"], "linked_by": v["linked_by"], "run": None, "metadata": {}}
            try:
                art = self._reg.artifact(v["artifact"])
                row.update(run=art.producer_run, metadata=art.metadata, type=art.type)
            except NotFoundError:
                row["missing"] = True
            out.append(row)
        return out

    def artifact(self, selector: str = "latest") -> "Artifact":
        """The artifact version behind an alias, ``vN`` or ``latest``."""
        versions = self._data.get("versions", {})
        if not versions:
            raise NotFoundError(f"registered model {self.name!r} has no linked versions yet")
        if selector == "latest":
            n = max(int(k) for k in versions) - 1
        elif version_number(selector) is not None:
            n = self._version_number(selector)
        elif selector in self.aliases:
            n = self.aliases[selector]
        else:
            raise NotFoundError(f"registered model {self.name!r} has no alias {selector!r}; aliases: "
                                f"{', '.join(['latest', *sorted(self.aliases)])}")
        art = self._reg.artifact(versions[str(n + 1)]["artifact"])
        art.linked_as = f"model-registry/{self.name}:v{n}"  # type: ignore[attr-defined]
        return art

    def set_alias(self, alias: str, version: "int | str | Artifact") -> "RegisteredModel":
        """Point ``alias`` at a version (``vN``, a number, or a linked artifact/spec). Recorded in history."""
        check_movable_alias(alias)
        from .artifact import Artifact

        if isinstance(version, str) and version_number(version) is None:
            version = self._reg.artifact(version, self._project)  # resolve a spec before taking the lock
        if isinstance(version, Artifact):
            version._logged()
        with self._reg.meta.transaction():  # checked against the stored model: another process may have linked
            events = self._reg.meta.update(model_rel(self.name), lambda d: _move(d, self._version_number(version, d), [alias]))
        _after_moves(self._reg, self.name, events)
        return self._refresh()

    def remove_alias(self, alias: str, version: "int | str | None" = None) -> "RegisteredModel":
        """Remove ``alias``; with ``version`` (``vN`` or a number) only if it is on that version,
        checked under the lock (else :class:`InvalidSpecError` saying where it is)."""
        check_movable_alias(alias)

        def drop(data: dict[str, Any]) -> None:
            model = _doc(data)
            if alias not in model["aliases"]:
                raise NotFoundError(f"registered model {self.name!r} has no alias {alias!r}; aliases: "
                                    f"{', '.join(sorted(model['aliases'])) or '(none)'}")
            if version is not None:
                n = self._version_number(version, data)
                if model["aliases"][alias] != n:
                    raise InvalidSpecError(f"alias {alias!r} of registered model {self.name!r} is on "
                                           f"v{model['aliases'][alias]}, not v{n}; nothing removed")
            before = model["aliases"].pop(alias)
            history = data.setdefault("history", {})
            history[str(len(history) + 1)] = {"model": self.name, "alias": alias, "from": before, "to": None,
                                              "by": envinfo.user(), "at": envinfo.now()}

        with self._reg.meta.transaction():
            self._reg.meta.update(model_rel(self.name), drop)
        return self._refresh()

    def history(self, alias: str | None = None) -> list[dict[str, Any]]:
        """Every alias move, oldest first: ``{alias, from, to, by, at}`` (``from``/``to`` version numbers)."""
        rows = [self._data["history"][k] for k in sorted(self._data.get("history", {}), key=int)]
        return [dict(r) for r in rows if alias is None or r["alias"] == alias]

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

        def edit(data: dict[str, Any]) -> None:
            model = _doc(data)
            if description is not None:
                model["description"] = description
            if model_card is not None:
                model["model_card"] = model_card
            if new_tags is not None:
                model["tags"] = new_tags

        with self._reg.meta.transaction():
            self._reg.meta.update(model_rel(self.name), edit)
        return self._refresh()

    def automations(self) -> list[dict[str, Any]]:
        return [dict(v, id=k) for k, v in sorted(self._data.get("automations", {}).items(), key=lambda kv: int(kv[0]))]

    def automation_runs(self) -> list[dict[str, Any]]:
        return [dict(v) for _, v in sorted(self._data.get("automation_runs", {}).items(), key=lambda kv: int(kv[0]))]
