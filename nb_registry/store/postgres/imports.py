"""Writing a collection or a registered model exactly as another backend holds it (``nb-registry migrate``).

Each import is one transaction, so a migration killed between two of them leaves whole collections and
models only, and running it again skips what is here and identical. Version numbers, digests, aliases
and alias histories keep their values; outbox events get this database's ids (in their order), and their
deliveries follow them.
"""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from ...errors import InvalidSpecError, NotFoundError
from ..records import AliasEvent, Collection, Delivery, Event, ModelRecord, ModelVersion, Version
from .base import Base, dumps, q


class ImportOps(Base):
    def import_collection(self, collection: Collection, versions: Sequence[Version], history: Sequence[AliasEvent],
                          content: Sequence[tuple[str, str, str]], *, next_version: int) -> bool:
        p, n = collection.project, collection.name
        versions = sorted(versions, key=lambda v: v.version)

        def op(conn: sa.Connection) -> bool:
            row = conn.execute(q("SELECT id FROM collections WHERE project = :p AND name = :n FOR NO KEY UPDATE"),
                               {"p": p, "n": n}).first()
            if row is not None:
                here = conn.execute(q("SELECT version, digest FROM versions WHERE collection_id = :c ORDER BY version"),
                                    {"c": row.id}).all()
                aliases = dict(conn.execute(q("SELECT alias, version FROM aliases WHERE collection_id = :c"),
                                            {"c": row.id}).all())
                if [(r.version, r.digest) for r in here] == [(v.version, v.digest) for v in versions] \
                        and aliases == dict(collection.aliases):
                    return False
                raise InvalidSpecError(f"collection {p}/{n} already exists in {self.url} with other versions or aliases; "
                                       "migrate into an empty registry, or remove it there first")
            cid = conn.execute(q("INSERT INTO collections (project, name, type, created_at, next_version, retention) "
                                 "VALUES (:p, :n, :t, :at, :next, CAST(:r AS json)) RETURNING id"),
                               {"p": p, "n": n, "t": collection.type, "at": collection.created_at, "next": next_version,
                                "r": dumps(dict(collection.retention), "a retention policy") if collection.retention else None}
                               ).scalar_one()
            if versions:
                conn.execute(q("INSERT INTO versions (collection_id, version, vid, digest, size, doc) "
                               "VALUES (:c, :v, :vid, :d, :size, CAST(:doc AS json))"),
                             [{"c": cid, "v": v.version, "vid": v.id, "d": v.digest, "size": v.size,
                               "doc": dumps(v.to_doc(), f"version {v.id}")} for v in versions])
            deps = [{"vid": v.id, "dep": d} for v in versions for d in sorted(set(v.deps))]
            if deps:
                wanted = sorted({d["dep"] for d in deps})
                found = set(conn.execute(q("SELECT vid FROM versions WHERE vid = ANY(:d)"), {"d": wanted}).scalars())
                missing = [d for d in wanted if d not in found]
                if missing:
                    raise NotFoundError(f"{p}/{n} depends on {', '.join(missing[:5])}, which {self.url} does not hold yet; "
                                        "import the collections it depends on first")
                conn.execute(q("INSERT INTO deps (vid, dep) VALUES (:vid, :dep)"), deps)
            if collection.aliases:
                conn.execute(q("INSERT INTO aliases (collection_id, alias, version) VALUES (:c, :a, :v)"),
                             [{"c": cid, "a": a, "v": v} for a, v in sorted(collection.aliases.items())])
            if history:
                conn.execute(q("INSERT INTO alias_history (collection_id, alias, from_version, to_version, by_user, at) "
                               "VALUES (:c, :alias, :f, :t, :by, :at)"),
                             [{"c": cid, "alias": e.alias, "f": e.from_version, "t": e.to_version, "by": e.by, "at": e.at}
                              for e in history])
            rows = list(dict.fromkeys(content))
            if rows:
                conn.execute(q("INSERT INTO content (digest, vid, entry) VALUES (:d, :vid, :e) ON CONFLICT DO NOTHING"),
                             [{"d": d, "vid": vid, "e": e} for d, vid, e in rows])
            self._changed(conn, [("collection", f"{p}/{n}")])
            return True

        return self._write(op)

    def import_model(self, model: ModelRecord, versions: Sequence[ModelVersion], history: Sequence[AliasEvent],
                     events: Sequence[Event], deliveries: Sequence[Delivery]) -> bool:
        def op(conn: sa.Connection) -> bool:
            here = conn.execute(q("SELECT name FROM models WHERE name = :n FOR NO KEY UPDATE"), {"n": model.name}).first()
            if here is not None:
                links = conn.execute(q("SELECT version, artifact FROM model_versions WHERE model = :n ORDER BY version"),
                                     {"n": model.name}).all()
                aliases = dict(conn.execute(q("SELECT alias, version FROM model_aliases WHERE model = :n"),
                                            {"n": model.name}).all())
                if [(r.version, r.artifact) for r in links] == [(v.version, v.artifact) for v in versions] \
                        and aliases == dict(model.aliases):
                    return False
                raise InvalidSpecError(f"registered model {model.name!r} already exists in {self.url} and differs; "
                                       "migrate into an empty registry")
            conn.execute(q("INSERT INTO models (name, description, model_card, tags, created_at, created_by, next_version) "
                           "VALUES (:n, :d, :card, CAST(:tags AS json), :at, :by, :next)"),
                         {"n": model.name, "d": model.description, "card": model.model_card,
                          "tags": dumps(list(model.tags), "tags"), "at": model.created_at, "by": model.created_by,
                          "next": max((v.version for v in versions), default=-1) + 1})
            if versions:
                conn.execute(q("INSERT INTO model_versions (model, version, artifact, digest, linked_at, linked_by, tags) "
                               "VALUES (:m, :v, :a, :d, :at, :by, CAST(:tags AS json))"),
                             [{"m": model.name, "v": v.version, "a": v.artifact, "d": v.digest, "at": v.linked_at,
                               "by": v.linked_by, "tags": dumps(dict(v.tags), "version tags")} for v in versions])
            if model.aliases:
                conn.execute(q("INSERT INTO model_aliases (model, alias, version) VALUES (:m, :a, :v)"),
                             [{"m": model.name, "a": a, "v": v} for a, v in sorted(model.aliases.items())])
            if history:
                conn.execute(q("INSERT INTO model_history (model, alias, from_version, to_version, by_user, at) "
                               "VALUES (:m, :alias, :f, :t, :by, :at)"),
                             [{"m": model.name, "alias": e.alias, "f": e.from_version, "t": e.to_version, "by": e.by,
                               "at": e.at} for e in history])
            ids: dict[int, int] = {}
            if events:
                conn.execute(q("SELECT 1 FROM outbox_order WHERE id = 1 FOR UPDATE"))
                for e in sorted(events, key=lambda e: e.id):
                    ids[e.id] = conn.execute(q(
                        "INSERT INTO events (kind, model, alias, from_version, to_version, artifact, by_user, at) "
                        "VALUES (:kind, :model, :alias, :f, :t, :artifact, :by, :at) RETURNING id"),
                        {"kind": e.kind, "model": e.model, "alias": e.alias, "f": e.from_version, "t": e.to_version,
                         "artifact": e.artifact, "by": e.by, "at": e.at}).scalar_one()
            kept = [d for d in deliveries if d.event in ids]
            if kept:
                conn.execute(q("INSERT INTO deliveries (event, hook, status, attempts, at, detail, worker, model) "
                               "VALUES (:event, :hook, :status, :attempts, :at, :detail, :worker, :model)"),
                             [{**d.to_dict(), "event": ids[d.event]} for d in kept])
            self._changed(conn, [("model", model.name)])
            return True

        return self._write(op)
