"""Registered models in TinyDB shards: links, stage aliases with history, the outbox of events."""

from __future__ import annotations

import time
from typing import Any, Sequence

from tinydb import Query
from tinydb.table import Document

from ...errors import AlreadyExistsError, InvalidSpecError, NotFoundError
from ..records import AliasEvent, Delivery, Event, Linked, ModelRecord, ModelVersion, move_aliases
from ..shards import Shards, Tx
from . import heads, layout

Q = Query()


def _doc(data: dict[str, Any] | None) -> dict[str, Any] | None:
    return (data or {}).get("model", {}).get("1")


class ModelsMixin:
    shards: Shards
    _now: Any

    def _model_data(self, src: Any, name: str) -> dict[str, Any]:
        data = src.peek(layout.model(name))
        if not _doc(data):
            raise NotFoundError(self._missing_model(name))
        return data  # type: ignore[return-value]

    def _missing_model(self, name: str) -> str:
        names = [m.name for m in self.models()]
        return f"no registered model {name!r}; registered models: {', '.join(names) or '(none)'}"

    def _record(self, data: dict[str, Any]) -> ModelRecord:
        m = _doc(data)
        assert m is not None
        versions = data.get("versions", {})
        latest = max((int(k) - 1 for k in versions), default=None)
        return ModelRecord(m["name"], m.get("description"), m.get("model_card") or "", tuple(m.get("tags", [])),
                           dict(m.get("aliases", {})), m.get("created_at", ""), m.get("created_by"), latest, len(versions))

    def _new(self, name: str, by: str, description: str | None = None, model_card: str | None = None,
             tags: Sequence[str] = ()) -> dict[str, Any]:
        return {"name": name, "description": description, "model_card": model_card or "", "tags": sorted(set(tags)),
                "aliases": {}, "next": 0, "created_at": self._now(), "created_by": by}

    # -- models -------------------------------------------------------------------------------
    def create_model(self, model: ModelRecord) -> ModelRecord:
        from ...names import check_model_name

        check_model_name(model.name)

        def create(tx: Tx) -> ModelRecord:
            rel = layout.model(model.name)
            if _doc(tx.peek(rel)):
                raise AlreadyExistsError(f"registered model {model.name!r} already exists; open it with "
                                         f"api.registered_model({model.name!r})")
            doc = self._new(model.name, model.created_by or "", model.description, model.model_card, model.tags)
            tx.table(rel, "model").insert(Document(doc, doc_id=1))
            return self._record(tx.peek(rel))  # type: ignore[arg-type]

        return self.shards.transact(create)

    def get_model(self, name: str) -> ModelRecord:
        return self._record(self._model_data(self.shards, name))

    def models(self) -> list[ModelRecord]:
        out = []
        for f in self.shards.listdir("models"):
            if f.endswith(".json"):
                data = self.shards.read(f"models/{f}")
                if _doc(data):
                    out.append(self._record(data))  # type: ignore[arg-type]
        return sorted(out, key=lambda m: m.name)

    def update_model(self, name: str, *, description: str | None = None, model_card: str | None = None,
                     tags: Sequence[str] | None = None) -> ModelRecord:
        changes: dict[str, Any] = {}
        if description is not None:
            changes["description"] = description
        if model_card is not None:
            changes["model_card"] = model_card
        if tags is not None:
            changes["tags"] = sorted(set(tags))

        def edit(tx: Tx) -> ModelRecord:
            self._model_data(tx, name)
            if changes:
                tx.table(layout.model(name), "model").update(changes, doc_ids=[1])
            return self._record(tx.peek(layout.model(name)))  # type: ignore[arg-type]

        return self.shards.transact(edit)

    # -- links and aliases --------------------------------------------------------------------
    def link(self, name: str, artifact: str, *, aliases: Sequence[str], by: str) -> Linked:
        from ...names import check_model_name, check_movable_alias

        check_model_name(name)

        aliases = [check_movable_alias(a) for a in dict.fromkeys(aliases)]

        def do_link(tx: Tx) -> Linked:
            rel = layout.model(name)
            data = tx.peek(rel)
            found = next((v for v in (data or {}).get("versions", {}).values() if v["artifact"] == artifact), None)
            created = found is None
            if found is None:
                from ...names import split_version_id

                number = int((_doc(data) or {"next": 0})["next"])
                p, n, k = split_version_id(artifact)
                # the version is checked and kept from retention first (the head is written before the model)
                self._pin(tx, artifact, f"linked as model-registry/{name}:v{number}")  # type: ignore[attr-defined]
                doc = heads.get_doc(tx, p, n, k)
                assert doc is not None
                if not _doc(data):
                    tx.table(rel, "model").insert(Document(self._new(name, by), doc_id=1))
                found = {"version": number, "artifact": artifact, "digest": doc["digest"],
                         "linked_at": self._now(), "linked_by": by, "tags": {}}
                tx.table(rel, "versions").insert(Document(found, doc_id=number + 1))
                tx.table(rel, "model").update({"next": number + 1}, doc_ids=[1])
                self._emit(tx, name, "link", None, None, number, artifact, by)
            moved = self._move_model(tx, name, found["version"], aliases, by)
            return Linked(_link_record(name, found), created, tuple(moved))

        return self.shards.transact(do_link)

    def _move_model(self, tx: Tx, name: str, version: int, aliases: Sequence[str], by: str) -> list[AliasEvent]:
        rel = layout.model(name)
        model = _doc(tx.peek(rel))
        assert model is not None
        current, events = move_aliases(model.get("aliases", {}), version, aliases, by, self._now(), name)
        if events:
            table = tx.table(rel, "history")
            first = max((int(k) for k in (tx.peek(rel) or {}).get("history", {})), default=0) + 1
            table.insert_multiple(Document(e.to_dict(), doc_id=first + i) for i, e in enumerate(events))
            tx.table(rel, "model").update({"aliases": current}, doc_ids=[1])
            for e in events:
                self._emit(tx, name, "alias", e.alias, e.from_version, e.to_version, self._artifact_of(tx, name, e.to_version), by)
        return events

    def _artifact_of(self, src: Any, name: str, version: int | None) -> str | None:
        if version is None:
            return None
        v = (src.peek(layout.model(name)) or {}).get("versions", {}).get(str(version + 1))
        return v["artifact"] if v else None

    def move_model_alias(self, name: str, alias: str, version: int, *, by: str) -> AliasEvent | None:
        from ...names import check_movable_alias

        check_movable_alias(alias)

        def move(tx: Tx) -> AliasEvent | None:
            data = self._model_data(tx, name)
            if str(version + 1) not in data.get("versions", {}):
                have = ", ".join(f"v{v['version']}" for v in data.get("versions", {}).values()) or "(none)"
                raise NotFoundError(f"registered model {name!r} has no version v{version}; versions: {have}")
            events = self._move_model(tx, name, version, [alias], by)
            return events[0] if events else None

        return self.shards.transact(move)

    def remove_model_alias(self, name: str, alias: str, *, by: str, version: int | None = None) -> AliasEvent:
        def drop(tx: Tx) -> AliasEvent:
            rel = layout.model(name)
            model = _doc(self._model_data(tx, name))
            assert model is not None
            aliases = dict(model.get("aliases", {}))
            if alias not in aliases:
                raise NotFoundError(f"registered model {name!r} has no alias {alias!r}; aliases: "
                                    f"{', '.join(sorted(aliases)) or '(none)'}")
            if version is not None and aliases[alias] != version:
                raise InvalidSpecError(f"alias {alias!r} of registered model {name!r} is on v{aliases[alias]}, "
                                       f"not v{version}; nothing removed")
            before = aliases.pop(alias)
            event = {"model": name, "alias": alias, "from": before, "to": None, "by": by, "at": self._now()}
            first = max((int(k) for k in (tx.peek(rel) or {}).get("history", {})), default=0) + 1
            tx.table(rel, "history").insert(Document(event, doc_id=first))
            tx.table(rel, "model").update({"aliases": aliases}, doc_ids=[1])
            self._emit(tx, name, "alias", alias, before, None, self._artifact_of(tx, name, before), by)
            return AliasEvent.from_dict(event)

        return self.shards.transact(drop)

    def model_versions(self, name: str) -> list[ModelVersion]:
        data = self._model_data(self.shards, name)
        return [_link_record(name, v) for v in layout.sorted_docs(data.get("versions", {}))]

    def model_history(self, name: str) -> list[AliasEvent]:
        data = self._model_data(self.shards, name)
        return [AliasEvent.from_dict({**e, "model": e.get("model", name)}) for e in layout.sorted_docs(data.get("history", {}))]

    def set_model_version_tag(self, name: str, version: int, key: str, value: str | None) -> ModelVersion:
        def tag(tx: Tx) -> ModelVersion:
            rel = layout.model(name)
            data = self._model_data(tx, name)
            v = data.get("versions", {}).get(str(version + 1))
            if v is None:
                raise NotFoundError(f"registered model {name!r} has no version v{version}")
            tags = dict(v.get("tags") or {})
            if value is None:
                if key not in tags:
                    raise NotFoundError(f"{name} v{version} has no tag {key!r}; tags: {', '.join(sorted(tags)) or '(none)'}")
                tags.pop(key)
            else:
                tags[key] = value
            tx.table(rel, "versions").update({"tags": tags}, doc_ids=[version + 1])
            return _link_record(name, {**v, "tags": tags})

        return self.shards.transact(tag)

    # -- the outbox ---------------------------------------------------------------------------
    def _emit(self, tx: Tx, name: str, kind: str, alias: str | None, before: int | None, after: int | None,
              artifact: str | None, by: str) -> None:
        rel = layout.model(name)
        table = (tx.peek(rel) or {}).get("events", {})
        last = max((int(v["id"]) for v in table.values()), default=0)
        event_id = max(time.time_ns(), last + 1)  # unique, increasing within a model (across models: by time)
        doc = Event(event_id, kind, name, alias, before, after, artifact, by, self._now()).to_dict()
        tx.table(rel, "events").insert(Document(doc, doc_id=len(table) + 1))

    def events(self, after: int = 0, limit: int = 1000) -> list[Event]:
        out = []
        for f in self.shards.listdir("models"):
            if f.endswith(".json"):
                for e in ((self.shards.read(f"models/{f}") or {}).get("events", {})).values():
                    if int(e["id"]) > after:
                        out.append(Event.from_dict(e))
        return sorted(out, key=lambda e: e.id)[:limit]

    def record_delivery(self, delivery: Delivery) -> None:
        model = delivery.model
        if model is None:
            raise InvalidSpecError("a delivery names the model of its event")

        def put(tx: Tx) -> None:
            rel = layout.model(model)
            self._model_data(tx, model)
            table = tx.table(rel, "deliveries")
            cond = (Q.event == delivery.event) & (Q.hook == delivery.hook)
            if table.search(cond):
                table.update(delivery.to_dict(), cond)
            else:
                table.insert(delivery.to_dict())

        self.shards.transact(put)

    def deliveries(self, model: str | None = None) -> list[Delivery]:
        names = [model] if model else [m.name for m in self.models()]
        out = []
        for name in names:
            data = self.shards.read(layout.model(name)) or {}
            out.extend(Delivery.from_dict(d) for d in data.get("deliveries", {}).values())
        return sorted(out, key=lambda d: (d.event, d.hook))


def _link_record(name: str, v: dict[str, Any]) -> ModelVersion:
    return ModelVersion(name, v["version"], v["artifact"], v["digest"], v.get("linked_at", ""), v.get("linked_by"),
                        dict(v.get("tags") or {}))
