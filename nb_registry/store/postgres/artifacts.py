"""Collections, versions and their aliases in PostgreSQL.

Every write to a collection first locks its row (``FOR NO KEY UPDATE``, which leaves the foreign-key
checks of other transactions alone): version numbers come from ``next_version`` under that lock, so
concurrent writers get 0, 1, 2 ... with neither gaps nor duplicates and no retry loop, and an alias
move sees the aliases as they are. A target version is read ``FOR KEY SHARE`` in the same
transaction, so a retention delete either waits for the move (and then finds the version protected)
or has already removed it (and the move reports it missing).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import sqlalchemy as sa

from ... import envinfo
from ...errors import InvalidSpecError, NotFoundError
from ...query import query
from ..interface import check_selector
from ..records import AliasEvent, Collection, CollectionInfo, Committed, Version
from .base import Base, check_aliases, dumps, q

_VERSION_DOC = "SELECT version, doc FROM versions WHERE collection_id = :c AND version = :n"
# the gc row first in the FROM list: a commit waits for a running collection before anything else
_LOCK_FOR_COMMIT = q("SELECT g.generation, c.id, c.type, c.next_version FROM gc_state g, collections c "
                     "WHERE g.id = 1 AND c.project = :p AND c.name = :n FOR SHARE OF g FOR NO KEY UPDATE OF c")
_STORE_VERSION = q("""
WITH same AS (SELECT version, doc FROM versions WHERE collection_id = :c AND digest = :d FOR KEY SHARE),
ins AS (INSERT INTO versions (collection_id, version, vid, digest, size, doc)
        SELECT :c, :n, :vid, :d, :size, CAST(:doc AS json) WHERE NOT EXISTS (SELECT 1 FROM same) RETURNING version),
bump AS (UPDATE collections SET next_version = :n + 1 WHERE id = :c AND EXISTS (SELECT 1 FROM ins)),
dep AS (INSERT INTO deps (vid, dep) SELECT :vid, d FROM unnest(CAST(:deps AS text[])) AS d
        WHERE EXISTS (SELECT 1 FROM ins)),
cont AS (INSERT INTO content (digest, vid, entry) SELECT d, :vid, e
         FROM unnest(CAST(:cd AS text[]), CAST(:ce AS text[])) AS t(d, e) WHERE EXISTS (SELECT 1 FROM ins))
SELECT version, doc, false AS created FROM same
UNION ALL SELECT version, NULL, true FROM ins
""")
_MOVE = q("""
WITH want AS (SELECT a AS alias, i FROM unnest(CAST(:a AS text[])) WITH ORDINALITY AS t(a, i)),
moving AS (SELECT w.alias, w.i, o.version AS before FROM want w
           LEFT JOIN aliases o ON o.collection_id = :c AND o.alias = w.alias
           WHERE o.version IS DISTINCT FROM :n),
up AS (INSERT INTO aliases (collection_id, alias, version) SELECT :c, alias, :n FROM moving
       ON CONFLICT (collection_id, alias) DO UPDATE SET version = EXCLUDED.version),
hist AS (INSERT INTO alias_history (collection_id, alias, from_version, to_version, by_user, at)
         SELECT :c, alias, before, :n, :by, :at FROM moving ORDER BY i)
SELECT alias, before FROM moving ORDER BY i
""")


class _Coll:
    __slots__ = ("id", "project", "name", "type", "next_version")

    def __init__(self, row: Any, project: str, name: str) -> None:
        self.id, self.type, self.next_version = row.id, row.type, row.next_version
        self.project, self.name = project, name

    @property
    def key(self) -> str:
        return f"{self.project}/{self.name}"


class ArtifactOps(Base):
    # -- locks -------------------------------------------------------------------------------
    def _lock_collection(self, conn: sa.Connection, project: str, name: str,
                         create: tuple[str, str] | None = None) -> _Coll:
        """The collection's row, locked until commit; created (type, created_at) when asked."""
        sql = q("SELECT id, type, next_version FROM collections WHERE project = :p AND name = :n FOR NO KEY UPDATE")
        row = conn.execute(sql, {"p": project, "n": name}).first()
        if row is None and create is not None:
            conn.execute(q("INSERT INTO collections (project, name, type, created_at) VALUES (:p, :n, :t, :at) "
                           "ON CONFLICT (project, name) DO NOTHING"),
                         {"p": project, "n": name, "t": create[0], "at": create[1]})
            row = conn.execute(sql, {"p": project, "n": name}).first()
        if row is None:
            raise self._missing_collection(conn, project, name)
        return _Coll(row, project, name)

    def _target(self, conn: sa.Connection, coll: _Coll, n: int) -> dict[str, Any]:
        """Version ``n``'s stored doc, locked against deletion until commit (NotFoundError naming versions)."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise InvalidSpecError(f"a version number is an int, not {n!r}")
        row = conn.execute(q(_VERSION_DOC + " FOR KEY SHARE"), {"c": coll.id, "n": n}).first()
        if row is None:
            raise self._missing_version(conn, coll.project, coll.name, coll.id, n)
        return dict(row.doc)

    def _aliases_on(self, conn: sa.Connection, cid: int, n: int) -> tuple[str, ...]:
        """The aliases of version ``n`` now, ``latest`` first when it is the newest."""
        row = conn.execute(q("SELECT (SELECT max(version) FROM versions WHERE collection_id = :c) AS latest, "
                             "ARRAY(SELECT alias FROM aliases WHERE collection_id = :c AND version = :n ORDER BY alias) AS names"),
                           {"c": cid, "n": n}).one()
        return ("latest", *row.names) if row.latest == n else tuple(row.names)

    def _move(self, conn: sa.Connection, coll: _Coll, n: int, aliases: Sequence[str], by: str) -> list[AliasEvent]:
        """Point ``aliases`` at version ``n`` (the collection row is locked) and append the history,
        in one statement; the moves made (an alias already there is no move)."""
        if not aliases:
            return []
        at = envinfo.now()
        rows = conn.execute(_MOVE, {"c": coll.id, "n": n, "a": list(aliases), "by": by, "at": at}).all()
        return [AliasEvent(r.alias, r.before, n, by, at) for r in rows]

    def _history(self, conn: sa.Connection, cid: int, events: Sequence[AliasEvent]) -> None:
        conn.execute(q("INSERT INTO alias_history (collection_id, alias, from_version, to_version, by_user, at) "
                       "VALUES (:c, :alias, :f, :t, :by, :at)"),
                     [{"c": cid, "alias": e.alias, "f": e.from_version, "t": e.to_version, "by": e.by, "at": e.at}
                      for e in events])

    # -- committing --------------------------------------------------------------------------
    def commit_version(self, version: Version, aliases: Sequence[str], *, by: str,
                       content: Sequence[tuple[str, str]] = (), gc_generation: int) -> Committed:
        aliases = check_aliases(aliases)
        draft = version.to_doc()
        dumps(draft, f"version {version.project}/{version.name}")  # refuse what JSON cannot hold before any lock
        deps = sorted(set(version.deps))

        def op(conn: sa.Connection) -> Committed:
            coll = self._lock_for_commit(conn, version, gc_generation)
            if coll.type != version.type:
                raise InvalidSpecError(
                    f"collection {coll.key} holds artifacts of type {coll.type!r}, not {version.type!r}; "
                    "use another name or the same type")
            if deps:  # each dependency must exist; locked so that retention cannot remove it before we commit
                found = set(conn.execute(q("SELECT vid FROM versions WHERE vid = ANY(:d) FOR KEY SHARE"),
                                         {"d": deps}).scalars())
                missing = [d for d in deps if d not in found]
                if missing:
                    raise NotFoundError(f"{coll.key} version {version.digest[:12]} depends on {', '.join(missing)}, "
                                        "which does not exist")
            n, doc, created = self._store_version(conn, coll, draft, deps, content)
            moved = self._move(conn, coll, n, aliases, by)
            # a new version is the newest and holds exactly the aliases just moved to it
            held = ("latest", *sorted(aliases)) if created else self._aliases_on(conn, coll.id, n)
            if created or moved:
                self._changed(conn, [("collection", coll.key)])
            return Committed(Version.from_doc(doc, held), created, tuple(moved))

        return self._write(op)

    def _lock_for_commit(self, conn: sa.Connection, version: Version, gc_generation: int) -> _Coll:
        """The gc row FOR SHARE and the collection's row locked, in one round trip (the common case);
        a new collection is created. StaleGeneration if a garbage collection ran since the writer
        read ``gc_generation`` (a collection in progress is waited for, then seen)."""
        row = conn.execute(_LOCK_FOR_COMMIT, {"p": version.project, "n": version.name}).first()
        if row is None:  # a new collection: check the generation on its own, then create it
            self._check_generation(conn, gc_generation)
            return self._lock_collection(conn, version.project, version.name,
                                         create=(version.type, version.created_at or envinfo.now()))
        if row.generation != gc_generation:
            from ..interface import StaleGeneration

            raise StaleGeneration(int(row.generation))
        return _Coll(row, version.project, version.name)

    def _store_version(self, conn: sa.Connection, coll: _Coll, draft: dict[str, Any], deps: list[str],
                       content: Sequence[tuple[str, str]]) -> tuple[int, dict[str, Any], bool]:
        """(number, stored doc, created): the existing version with this digest, or a new one
        numbered ``next_version`` with its dependencies and content index, in one statement.

        The existing version is locked against deletion (``FOR KEY SHARE``) before the aliases
        move onto it: retention deletes versions under their row locks only, and a delete that
        commits while this waits makes the row vanish from ``same``, so a new version is stored."""
        n = coll.next_version
        vid = f"{coll.key}:v{n}"
        doc = {**draft, "version": n}
        pairs = list(dict.fromkeys((str(d), str(e)) for d, e in content))
        row = conn.execute(_STORE_VERSION, {
            "c": coll.id, "n": n, "vid": vid, "d": draft["digest"], "size": int(draft.get("size") or 0),
            "doc": dumps(doc, vid), "deps": deps, "cd": [d for d, _ in pairs], "ce": [e for _, e in pairs]}).one()
        return (n, doc, True) if row.created else (row.version, dict(row.doc), False)

    # -- reading -----------------------------------------------------------------------------
    def collection(self, project: str, name: str) -> Collection:
        def op(conn: sa.Connection) -> Collection:
            row = conn.execute(q(
                "SELECT c.type, c.created_at, c.retention, "
                "(SELECT max(version) FROM versions v WHERE v.collection_id = c.id) AS latest, "
                "(SELECT count(*) FROM versions v WHERE v.collection_id = c.id) AS count, "
                "(SELECT json_object_agg(alias, version) FROM aliases a WHERE a.collection_id = c.id) AS aliases "
                "FROM collections c WHERE project = :p AND name = :n"), {"p": project, "n": name}).first()
            if row is None:
                raise self._missing_collection(conn, project, name)
            return Collection(project, name, row.type, row.created_at, dict(row.aliases or {}), row.latest,
                              int(row.count), row.retention)

        return self._read(op)

    def collections(self, project: str | None = None, type: str | None = None) -> list[CollectionInfo]:
        rows = self._read(lambda conn: conn.execute(q(
            "SELECT project, name, type, created_at FROM collections "
            "WHERE (CAST(:p AS text) IS NULL OR project = :p) AND (CAST(:t AS text) IS NULL OR type = :t) "
            "ORDER BY project, name"), {"p": project, "t": type}).all())
        return [CollectionInfo(r.project, r.name, r.type, r.created_at) for r in rows]

    def projects(self) -> list[str]:
        return self._read(lambda conn: list(conn.execute(q(
            "SELECT project FROM collections UNION SELECT project FROM runs ORDER BY 1")).scalars()))

    def get_version(self, project: str, name: str, selector: "str | int") -> Version:
        check_selector(selector)

        def op(conn: sa.Connection) -> Version:
            head = ("SELECT c.id AS cid, v.version, v.doc, "
                    "(SELECT max(version) FROM versions w WHERE w.collection_id = c.id) AS latest, "
                    "ARRAY(SELECT alias FROM aliases b WHERE b.collection_id = c.id AND b.version = v.version "
                    "ORDER BY alias) AS names FROM collections c ")
            where = " WHERE c.project = :p AND c.name = :n"
            args: dict[str, Any] = {"p": project, "n": name}
            if selector == "latest":
                sql = head + "JOIN versions v ON v.collection_id = c.id" + where + " ORDER BY v.version DESC LIMIT 1"
            elif isinstance(selector, int):
                sql, args["v"] = head + "JOIN versions v ON v.collection_id = c.id AND v.version = :v" + where, selector
            else:
                sql = head + ("JOIN aliases a ON a.collection_id = c.id AND a.alias = :a "
                              "JOIN versions v ON v.collection_id = c.id AND v.version = a.version") + where
                args["a"] = selector
            row = conn.execute(q(sql), args).first()
            if row is None:
                cid = conn.execute(q("SELECT id FROM collections WHERE project = :p AND name = :n"), args).scalar()
                if cid is None:
                    raise self._missing_collection(conn, project, name)
                if isinstance(selector, int):
                    raise self._missing_version(conn, project, name, cid, selector)
                raise self._missing_alias(conn, project, name, cid, str(selector))
            aliases = ("latest", *row.names) if row.version == row.latest else tuple(row.names)
            return Version.from_doc(row.doc, aliases)

        return self._read(op)

    def versions(self, project: str, name: str, filters: Mapping[str, Any] | None = None,
                 order: "str | Sequence[str] | None" = None, limit: int | None = None) -> list[Version]:
        def op(conn: sa.Connection) -> tuple[list[Any], dict[int, list[str]]]:
            cid = conn.execute(q("SELECT id FROM collections WHERE project = :p AND name = :n"),
                               {"p": project, "n": name}).scalar()
            if cid is None:
                raise self._missing_collection(conn, project, name)
            docs = conn.execute(q("SELECT version, doc FROM versions WHERE collection_id = :c ORDER BY version"),
                                {"c": cid}).all()
            held: dict[int, list[str]] = {}
            for alias, n in conn.execute(q("SELECT alias, version FROM aliases WHERE collection_id = :c ORDER BY alias"),
                                         {"c": cid}):
                held.setdefault(n, []).append(alias)
            return docs, held

        docs, held = self._snapshot(op)  # versions and aliases as of one moment
        latest = docs[-1].version if docs else None
        rows = []
        for r in docs:
            names = held.get(r.version, [])
            rows.append({**r.doc, "aliases": ["latest", *names] if r.version == latest else names})
        # the shared filter language, exactly as every backend applies it
        picked = query(rows, filters, order or "version", limit)
        return [Version.from_doc({k: v for k, v in r.items() if k != "aliases"}, tuple(r["aliases"])) for r in picked]

    def find_content(self, digest: str) -> list[tuple[str, str]]:
        return self._read(lambda conn: [tuple(r) for r in conn.execute(q(
            "SELECT vid, entry FROM content WHERE digest = :d ORDER BY vid, entry"), {"d": digest})])

    # -- aliases and edits -------------------------------------------------------------------
    def move_alias(self, project: str, name: str, alias: str, version: int, *, by: str) -> AliasEvent | None:
        (alias,) = check_aliases([alias])

        def op(conn: sa.Connection) -> AliasEvent | None:
            coll = self._lock_collection(conn, project, name)
            self._target(conn, coll, version)
            moved = self._move(conn, coll, version, [alias], by)
            if moved:
                self._changed(conn, [("collection", coll.key)])
            return moved[0] if moved else None

        return self._write(op)

    def remove_alias(self, project: str, name: str, alias: str, *, by: str, version: int | None = None) -> AliasEvent:
        (alias,) = check_aliases([alias])

        def op(conn: sa.Connection) -> AliasEvent:
            coll = self._lock_collection(conn, project, name)
            holder = conn.execute(q("SELECT version FROM aliases WHERE collection_id = :c AND alias = :a"),
                                  {"c": coll.id, "a": alias}).scalar()
            if holder is None:
                raise self._missing_alias(conn, project, name, coll.id, alias)
            if version is not None and holder != version:
                raise InvalidSpecError(f"{coll.key}:v{version} does not hold alias {alias!r} (it is on "
                                       f"{coll.key}:v{holder}); nothing removed")
            conn.execute(q("DELETE FROM aliases WHERE collection_id = :c AND alias = :a"), {"c": coll.id, "a": alias})
            event = self._event(alias, holder, None, by)
            self._history(conn, coll.id, [event])
            self._changed(conn, [("collection", coll.key)])
            return event

        return self._write(op)

    def alias_history(self, project: str, name: str) -> list[AliasEvent]:
        def op(conn: sa.Connection) -> list[AliasEvent]:
            cid = conn.execute(q("SELECT id FROM collections WHERE project = :p AND name = :n"),
                               {"p": project, "n": name}).scalar()
            if cid is None:
                raise self._missing_collection(conn, project, name)
            rows = conn.execute(q("SELECT alias, from_version, to_version, by_user, at FROM alias_history "
                                  "WHERE collection_id = :c ORDER BY id"), {"c": cid})
            return [AliasEvent(*r) for r in rows]

        return self._read(op)

    def update_version(self, project: str, name: str, version: int, *, description: str | None,
                       metadata: Mapping[str, Any], aliases: Sequence[str], by: str) -> Version:
        wanted = check_aliases(aliases)
        dumps(dict(metadata), "metadata")

        def op(conn: sa.Connection) -> Version:
            coll = self._lock_collection(conn, project, name)
            doc = self._target(conn, coll, version)
            doc["description"], doc["metadata"] = description, dict(metadata)
            conn.execute(q("UPDATE versions SET doc = CAST(:doc AS json) WHERE collection_id = :c AND version = :n"),
                         {"doc": dumps(doc, "metadata"), "c": coll.id, "n": version})
            off = conn.execute(q("DELETE FROM aliases WHERE collection_id = :c AND version = :n "
                                 "AND NOT (alias = ANY(:keep)) RETURNING alias"),
                               {"c": coll.id, "n": version, "keep": wanted}).scalars().all()
            if off:
                self._history(conn, coll.id, [self._event(a, version, None, by) for a in sorted(off)])
            self._move(conn, coll, version, wanted, by)
            held = self._aliases_on(conn, coll.id, version)
            self._changed(conn, [("collection", coll.key)])
            return Version.from_doc(doc, held)

        return self._write(op)
