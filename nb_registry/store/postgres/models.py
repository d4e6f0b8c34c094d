"""Registered models, their links and stage aliases, and the outbox of their events, in PostgreSQL.

A registered model's row is locked (``FOR NO KEY UPDATE``) by every write to it, so its version
numbers are assigned without gaps and its alias moves see the aliases as they are. Each alias move
or removal and each new link appends an ``events`` row in the same transaction (see ``_changed``:
event ids grow in commit order, so a worker reading ``events(after=N)`` misses none).
"""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from ... import envinfo
from ...errors import AlreadyExistsError, InvalidSpecError, NotFoundError
from ...names import check_model_name, check_movable_alias, check_name
from ..records import AliasEvent, Delivery, Event, Linked, ModelRecord, ModelVersion
from .base import Base, check_aliases, dumps, q

_MODEL = ("SELECT m.name, m.description, m.model_card, m.tags, m.created_at, m.created_by, "
          "(SELECT json_object_agg(alias, version) FROM model_aliases a WHERE a.model = m.name) AS aliases, "
          "(SELECT max(version) FROM model_versions v WHERE v.model = m.name) AS latest, "
          "(SELECT count(*) FROM model_versions v WHERE v.model = m.name) AS count FROM models m ")
_MV = "SELECT model, version, artifact, digest, linked_at, linked_by, tags FROM model_versions "


def _model(r: Any) -> ModelRecord:
    return ModelRecord(r.name, r.description, r.model_card, tuple(r.tags or ()), dict(r.aliases or {}), r.created_at,
                       r.created_by, r.latest, int(r.count))


def _mv(r: Any) -> ModelVersion:
    return ModelVersion(r.model, r.version, r.artifact, r.digest, r.linked_at, r.linked_by, dict(r.tags or {}))


def _event_row(kind: str, model: str, e: AliasEvent | None = None, **fields: Any) -> dict[str, Any]:
    row = {"kind": kind, "model": model, "alias": None, "from_version": None, "to_version": None, "artifact": None,
           "by": "", "at": envinfo.now()}
    if e is not None:
        row.update(alias=e.alias, from_version=e.from_version, to_version=e.to_version, by=e.by, at=e.at)
    row.update(fields)
    return row


class ModelOps(Base):
    def _lock_model(self, conn: sa.Connection, name: str, create_by: str | None = None) -> int:
        """The model's next version number, its row locked until commit (created when ``create_by``)."""
        sql = q("SELECT next_version FROM models WHERE name = :n FOR NO KEY UPDATE")
        nxt = conn.execute(sql, {"n": name}).scalar()
        if nxt is None and create_by is not None:
            conn.execute(q("INSERT INTO models (name, tags, created_at, created_by) VALUES (:n, '[]', :at, :by) "
                           "ON CONFLICT (name) DO NOTHING"), {"n": name, "at": envinfo.now(), "by": create_by})
            nxt = conn.execute(sql, {"n": name}).scalar()
        if nxt is None:
            raise self._missing_model(conn, name)
        return int(nxt)

    def _model_target(self, conn: sa.Connection, name: str, version: int) -> None:
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidSpecError(f"a registered version number is an int, not {version!r}")
        if conn.execute(q("SELECT 1 FROM model_versions WHERE model = :m AND version = :v FOR KEY SHARE"),
                        {"m": name, "v": version}).first() is None:
            have = conn.execute(q("SELECT version FROM model_versions WHERE model = :m ORDER BY version"), {"m": name}).scalars()
            raise NotFoundError(f"registered model {name!r} has no version v{version}; versions: "
                                f"{', '.join(f'v{n}' for n in have) or '(none)'}")

    def _move_model(self, conn: sa.Connection, name: str, n: int, aliases: Sequence[str], by: str) -> list[AliasEvent]:
        if not aliases:
            return []
        held = dict(conn.execute(q("SELECT alias, version FROM model_aliases WHERE model = :m AND alias = ANY(:a)"),
                                 {"m": name, "a": list(aliases)}).all())
        moved = [self._event(a, held.get(a), n, by, name) for a in aliases if held.get(a) != n]
        if moved:
            conn.execute(q("INSERT INTO model_aliases (model, alias, version) VALUES (:m, :a, :n) "
                           "ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version"),
                         [{"m": name, "a": e.alias, "n": n} for e in moved])
            self._model_history(conn, moved)
        return moved

    def _model_history(self, conn: sa.Connection, events: Sequence[AliasEvent]) -> None:
        conn.execute(q("INSERT INTO model_history (model, alias, from_version, to_version, by_user, at) "
                       "VALUES (:m, :alias, :f, :t, :by, :at)"),
                     [{"m": e.model, "alias": e.alias, "f": e.from_version, "t": e.to_version, "by": e.by, "at": e.at}
                      for e in events])

    # -- models ------------------------------------------------------------------------------
    def create_model(self, model: ModelRecord) -> ModelRecord:
        check_model_name(model.name)

        def op(conn: sa.Connection) -> ModelRecord:
            made = conn.execute(q("INSERT INTO models (name, description, model_card, tags, created_at, created_by) "
                                  "VALUES (:n, :d, :card, CAST(:tags AS json), :at, :by) ON CONFLICT (name) DO NOTHING "
                                  "RETURNING name"),
                                {"n": model.name, "d": model.description, "card": model.model_card or "",
                                 "tags": dumps(sorted(set(model.tags)), "tags"), "at": model.created_at or envinfo.now(),
                                 "by": model.created_by}).first()
            if made is None:
                raise AlreadyExistsError(f"registered model {model.name!r} already exists")
            made = _model(conn.execute(q(_MODEL + "WHERE m.name = :n"), {"n": model.name}).one())
            self._changed(conn, [("model", model.name)])
            return made

        return self._write(op)

    def get_model(self, name: str) -> ModelRecord:
        def op(conn: sa.Connection) -> ModelRecord:
            row = conn.execute(q(_MODEL + "WHERE m.name = :n"), {"n": name}).first()
            if row is None:
                raise self._missing_model(conn, name)
            return _model(row)

        return self._read(op)

    def models(self) -> list[ModelRecord]:
        return [_model(r) for r in self._read(lambda conn: conn.execute(q(_MODEL + "ORDER BY m.name")).all())]

    def update_model(self, name: str, *, description: str | None = None, model_card: str | None = None,
                     tags: Sequence[str] | None = None) -> ModelRecord:
        new_tags = None if tags is None else dumps(sorted({check_name(t, "tag") for t in tags}), "tags")

        def op(conn: sa.Connection) -> ModelRecord:
            self._lock_model(conn, name)
            conn.execute(q("UPDATE models SET description = COALESCE(:d, description), "
                           "model_card = COALESCE(:card, model_card), tags = COALESCE(CAST(:tags AS json), tags) "
                           "WHERE name = :n"), {"d": description, "card": model_card, "tags": new_tags, "n": name})
            edited = _model(conn.execute(q(_MODEL + "WHERE m.name = :n"), {"n": name}).one())
            self._changed(conn, [("model", name)])
            return edited

        return self._write(op)

    # -- links and stage aliases -------------------------------------------------------------
    def link(self, name: str, artifact: str, *, aliases: Sequence[str], by: str) -> Linked:
        check_model_name(name)
        aliases = check_aliases(aliases)

        def op(conn: sa.Connection) -> Linked:
            nxt = self._lock_model(conn, name, create_by=by)
            digest = conn.execute(q("SELECT digest FROM versions WHERE vid = :a FOR KEY SHARE"), {"a": artifact}).scalar()
            if digest is None:
                raise NotFoundError(f"cannot link {artifact} to registered model {name!r}: that artifact version does not exist")
            row = conn.execute(q(_MV + "WHERE model = :m AND artifact = :a"), {"m": name, "a": artifact}).first()
            events, created = [], row is None
            if created:
                row = conn.execute(q("INSERT INTO model_versions (model, version, artifact, digest, linked_at, linked_by, tags) "
                                     "VALUES (:m, :v, :a, :d, :at, :by, '{}') "
                                     "RETURNING model, version, artifact, digest, linked_at, linked_by, tags"),
                                   {"m": name, "v": nxt, "a": artifact, "d": digest, "at": envinfo.now(), "by": by}).one()
                conn.execute(q("UPDATE models SET next_version = :n WHERE name = :m"), {"n": nxt + 1, "m": name})
                events.append(_event_row("link", name, to_version=nxt, artifact=artifact, by=by, at=row.linked_at))
            moved = self._move_model(conn, name, row.version, aliases, by)
            events += [_event_row("alias", name, e, artifact=artifact) for e in moved]
            if events:
                self._changed(conn, [("model", name)], events)
            return Linked(_mv(row), created, tuple(moved))

        return self._write(op)

    def move_model_alias(self, name: str, alias: str, version: int, *, by: str) -> AliasEvent | None:
        check_movable_alias(alias)

        def op(conn: sa.Connection) -> AliasEvent | None:
            self._lock_model(conn, name)
            self._model_target(conn, name, version)
            moved = self._move_model(conn, name, version, [alias], by)
            if moved:
                self._changed(conn, [("model", name)], [_event_row("alias", name, moved[0], artifact=self._artifact_of(conn, name, version))])
            return moved[0] if moved else None

        return self._write(op)

    def _artifact_of(self, conn: sa.Connection, name: str, version: int | None) -> str | None:
        if version is None:
            return None
        return conn.execute(q("SELECT artifact FROM model_versions WHERE model = :m AND version = :v"),
                            {"m": name, "v": version}).scalar()

    def remove_model_alias(self, name: str, alias: str, *, by: str, version: int | None = None) -> AliasEvent:
        check_movable_alias(alias)

        def op(conn: sa.Connection) -> AliasEvent:
            self._lock_model(conn, name)
            holder = conn.execute(q("SELECT version FROM model_aliases WHERE model = :m AND alias = :a"),
                                  {"m": name, "a": alias}).scalar()
            if holder is None:
                names = conn.execute(q("SELECT alias FROM model_aliases WHERE model = :m ORDER BY alias"), {"m": name}).scalars()
                raise NotFoundError(f"registered model {name!r} has no alias {alias!r}; aliases: {', '.join(names) or '(none)'}")
            if version is not None and holder != version:
                raise InvalidSpecError(f"alias {alias!r} of registered model {name!r} is on v{holder}, not v{version}; "
                                       "nothing removed")
            conn.execute(q("DELETE FROM model_aliases WHERE model = :m AND alias = :a"), {"m": name, "a": alias})
            event = self._event(alias, holder, None, by, name)
            self._model_history(conn, [event])
            self._changed(conn, [("model", name)], [_event_row("alias", name, event, artifact=self._artifact_of(conn, name, holder))])
            return event

        return self._write(op)

    def model_versions(self, name: str) -> list[ModelVersion]:
        def op(conn: sa.Connection) -> list[ModelVersion]:
            rows = conn.execute(q(_MV + "WHERE model = :m ORDER BY version"), {"m": name}).all()
            if not rows and conn.execute(q("SELECT 1 FROM models WHERE name = :m"), {"m": name}).first() is None:
                raise self._missing_model(conn, name)
            return [_mv(r) for r in rows]

        return self._read(op)

    def model_history(self, name: str) -> list[AliasEvent]:
        def op(conn: sa.Connection) -> list[AliasEvent]:
            if conn.execute(q("SELECT 1 FROM models WHERE name = :m"), {"m": name}).first() is None:
                raise self._missing_model(conn, name)
            rows = conn.execute(q("SELECT alias, from_version, to_version, by_user, at, model FROM model_history "
                                  "WHERE model = :m ORDER BY id"), {"m": name})
            return [AliasEvent(*r) for r in rows]

        return self._read(op)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str | None) -> ModelVersion:
        if not isinstance(key, str) or not key:
            raise InvalidSpecError(f"a version tag key is a non-empty string, not {key!r}")
        if value is not None and not isinstance(value, str):
            raise InvalidSpecError(f"a version tag value is a string (or None to delete it), not {value!r}")

        def op(conn: sa.Connection) -> ModelVersion:
            self._lock_model(conn, name)
            self._model_target(conn, name, version)
            tags = dict(conn.execute(q("SELECT tags FROM model_versions WHERE model = :m AND version = :v"),
                                     {"m": name, "v": version}).scalar() or {})
            if value is None:
                tags.pop(key, None)
            else:
                tags[key] = value
            row = conn.execute(q("UPDATE model_versions SET tags = CAST(:t AS json) WHERE model = :m AND version = :v "
                                 "RETURNING model, version, artifact, digest, linked_at, linked_by, tags"),
                               {"t": dumps(tags, "tags"), "m": name, "v": version}).one()
            self._changed(conn, [("model", name)])
            return _mv(row)

        return self._write(op)

    # -- the outbox --------------------------------------------------------------------------
    def events(self, after: int = 0, limit: int = 1000) -> list[Event]:
        rows = self._read(lambda conn: conn.execute(q(
            "SELECT id, kind, model, alias, from_version, to_version, artifact, by_user, at FROM events "
            "WHERE id > :after ORDER BY id LIMIT :limit"), {"after": int(after), "limit": int(limit)}).all())
        return [Event(*r) for r in rows]

    def record_delivery(self, delivery: Delivery) -> None:
        def op(conn: sa.Connection) -> None:
            model = conn.execute(q("SELECT model FROM events WHERE id = :e"), {"e": delivery.event}).scalar()
            if model is None:
                raise NotFoundError(f"no event {delivery.event} in the outbox of {self.url}")
            conn.execute(q("INSERT INTO deliveries (event, hook, status, attempts, at, detail, worker, model) "
                           "VALUES (:event, :hook, :status, :attempts, :at, :detail, :worker, :model)"),
                         {**delivery.to_dict(), "model": delivery.model or model})
            self._changed(conn, [("model", model)])

        self._write(op)

    def deliveries(self, model: str | None = None) -> list[Delivery]:
        rows = self._read(lambda conn: conn.execute(q(
            "SELECT DISTINCT ON (d.event, d.hook) d.event, d.hook, d.status, d.attempts, d.at, d.detail, d.worker, d.model "
            "FROM deliveries d JOIN events e ON e.id = d.event WHERE CAST(:m AS text) IS NULL OR e.model = :m "
            "ORDER BY d.event, d.hook, d.id DESC"), {"m": model}).mappings().all())
        return [Delivery(**r) for r in rows]
