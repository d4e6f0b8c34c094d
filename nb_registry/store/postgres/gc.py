"""Retention deletes and garbage collection's critical section in PostgreSQL.

What protects a version is a foreign key onto ``versions.vid``: an alias, a registered link, a run's
input, another live version's dependency. ``delete_versions`` locks each version's row ``FOR UPDATE``
in its own savepoint, then reads what protects it. Every writer that adds a reference reads the
version ``FOR KEY SHARE`` (or the foreign-key check does), which conflicts with that lock: a writer
that got there first has committed before our check runs (READ COMMITTED gives each statement a
fresh snapshot, so the check sees its reference), and one that comes later waits for our commit and
then finds the version gone. The foreign keys stay as the backstop: a delete they refuse rolls back
to the savepoint and is reported with its reason, never half done.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import sqlalchemy as sa

from ... import envinfo
from ...errors import NotFoundError
from ...names import split_version_id
from ..records import Removed
from .base import Base, dumps, q

_PROTECTION = q("""
SELECT NOT EXISTS (SELECT 1 FROM versions w WHERE w.collection_id = :c AND w.version > :n) AS newest,
       (SELECT alias FROM aliases WHERE collection_id = :c AND version = :n ORDER BY alias LIMIT 1) AS alias,
       (SELECT 'model-registry/' || model || '\\:v' || version FROM model_versions WHERE artifact = :vid
         ORDER BY model, version LIMIT 1) AS link,
       (SELECT vid FROM deps WHERE dep = :vid ORDER BY vid LIMIT 1) AS dependent,
       (SELECT project || '/' || run_id FROM run_inputs WHERE vid = :vid ORDER BY project, run_id LIMIT 1) AS run
""")


class GcOps(Base):
    def set_retention(self, project: str, name: str, policy: Mapping[str, Any] | None) -> None:
        doc = None if policy is None else dumps(dict(policy), "retention policy")

        def op(conn: sa.Connection) -> None:
            coll = self._lock_collection(conn, project, name)  # type: ignore[attr-defined]
            conn.execute(q("UPDATE collections SET retention = CAST(:r AS json) WHERE id = :c"), {"r": doc, "c": coll.id})
            self._changed(conn, [("collection", coll.key)])

        self._write(op)

    def _why_kept(self, conn: sa.Connection, cid: int, n: int, vid: str, project: str, name: str,
                  user: bool = False, drop_aliases: bool = False) -> str:
        """Why a version must stay; ``user``: for a user's own delete, which may take the newest version (and with
        ``drop_aliases``, one holding aliases)."""
        row = conn.execute(_PROTECTION, {"c": cid, "n": n, "vid": vid}).one()
        if row.newest and not user:
            return f"it is the newest version of {project}/{name}"
        if row.alias and not drop_aliases:
            return f"holds alias {row.alias!r}"
        if row.link:
            return f"linked as {row.link}"
        if row.dependent:
            return f"referenced by {row.dependent}"
        if row.run:
            return f"used by run {row.run}"
        return ""

    def delete_versions(self, ids: Sequence[str], *, by: str) -> list[Removed]:
        wanted = list(dict.fromkeys(ids))
        for vid in wanted:
            split_version_id(vid)  # InvalidSpecError for something that is no version id, before anything runs

        # rows are locked in one order (collection, number) whatever the order asked, so that two
        # deletes of overlapping sets cannot deadlock; the answer keeps the order asked
        order = sorted(wanted, key=split_version_id)

        def op(conn: sa.Connection) -> list[Removed]:
            done, touched = {}, []
            for vid in order:
                project, name, n = split_version_id(vid)
                done[vid] = self._delete_one(conn, vid, project, name, n, by)
                if done[vid].removed:
                    touched.append(("collection", f"{project}/{name}"))
            if touched:
                self._changed(conn, touched)
            return [done[vid] for vid in wanted]

        return self._write(op)

    def _delete_one(self, conn: sa.Connection, vid: str, project: str, name: str, n: int, by: str) -> Removed:
        row = conn.execute(q("SELECT v.collection_id AS cid, v.digest, v.size FROM versions v "
                             "JOIN collections c ON c.id = v.collection_id "
                             "WHERE c.project = :p AND c.name = :n AND v.version = :v FOR UPDATE OF v"),
                           {"p": project, "n": name, "v": n}).first()
        if row is None:
            return Removed(vid, False, "no such version")
        reason = self._why_kept(conn, row.cid, n, vid, project, name)
        if reason:
            return Removed(vid, False, reason, row.digest, row.size)
        try:
            with conn.begin_nested():
                conn.execute(q("DELETE FROM versions WHERE collection_id = :c AND version = :v"), {"c": row.cid, "v": n})
                conn.execute(q("INSERT INTO removed (vid, digest, size, by_user, at) VALUES (:vid, :d, :s, :by, :at)"),
                             {"vid": vid, "d": row.digest, "s": row.size, "by": by, "at": envinfo.now()})
        except sa.exc.IntegrityError:  # a reference the check above could not see: the constraint keeps it
            reason = self._why_kept(conn, row.cid, n, vid, project, name) or "still referenced"
            return Removed(vid, False, reason, row.digest, row.size)
        return Removed(vid, True, "", row.digest, row.size)

    def delete_version(self, project: str, name: str, version: int, *, by: str, delete_aliases: bool = False) -> Removed:
        vid = f"{project}/{name}:v{version}"

        def op(conn: sa.Connection) -> Removed:
            coll = self._lock_collection(conn, project, name)  # type: ignore[attr-defined]
            row = conn.execute(q("SELECT digest, size FROM versions WHERE collection_id = :c AND version = :v FOR UPDATE"),
                               {"c": coll.id, "v": version}).first()
            if row is None:
                have = conn.execute(q("SELECT version FROM versions WHERE collection_id = :c ORDER BY version DESC "
                                      "LIMIT 10"), {"c": coll.id}).scalars().all()
                raise NotFoundError(f"{project}/{name} has no version v{version}; versions: "
                                    f"{', '.join(f'v{k}' for k in reversed(have)) or '(none)'}")
            reason = self._why_kept(conn, coll.id, version, vid, project, name, user=True, drop_aliases=delete_aliases)
            if reason:
                return Removed(vid, False, reason, row.digest, row.size)
            held = conn.execute(q("DELETE FROM aliases WHERE collection_id = :c AND version = :v RETURNING alias"),
                                {"c": coll.id, "v": version}).scalars().all()
            if held:
                self._history(conn, coll.id, [self._event(a, version, None, by) for a in sorted(held)])  # type: ignore[attr-defined]
            conn.execute(q("DELETE FROM versions WHERE collection_id = :c AND version = :v"), {"c": coll.id, "v": version})
            conn.execute(q("INSERT INTO removed (vid, digest, size, by_user, at) VALUES (:vid, :d, :s, :by, :at)"),
                         {"vid": vid, "d": row.digest, "s": row.size, "by": by, "at": envinfo.now()})
            self._changed(conn, [("collection", coll.key)])
            return Removed(vid, True, "", row.digest, row.size)

        return self._write(op)

    def gc_generation(self) -> int:
        return int(self._read(lambda conn: conn.execute(q("SELECT generation FROM gc_state WHERE id = 1")).scalar_one()))

    def collect(self, find_garbage: Callable[[], Iterable[str]], delete: Callable[[str], None]) -> list[str]:
        """Garbage collection's critical section, held as the ``gc_state`` row lock.

        Why no blob can be deleted that a committed record needs, at READ COMMITTED:

        * This transaction locks the row ``FOR UPDATE`` and bumps the generation before it calls
          ``find_garbage``; the bump stays invisible (and the row locked) until we commit, after
          the last ``delete``.
        * A commit that needs blobs (``commit_version``, ``finish_run``) reads that row
          ``FOR SHARE`` as its first statement and writes nothing if it differs from the
          generation its writer read before storing or deduplicating blobs.
        * If such a commit took its share lock first, our ``FOR UPDATE`` waits until it has
          committed (or rolled back). ``find_garbage`` runs after that, and each of its statements
          takes a new snapshot, so it sees the committed record and keeps its blobs.
        * If we locked first, the commit waits for us; when we commit it re-reads the row (READ
          COMMITTED re-checks a row it waited for), sees the new generation and raises
          StaleGeneration, and its writer stores its blobs again. ``gc_generation()`` read during a
          collection returns the old number, so a writer starting then is caught the same way.
        * A commit never holds another lock while it waits here (it reads this row first), and we
          take no other lock, so the two cannot deadlock; ``find_garbage`` only reads.
        """
        try:
            with self.engine.begin() as conn:
                conn.execute(q("SELECT generation FROM gc_state WHERE id = 1 FOR UPDATE")).scalar_one()
                conn.execute(q("UPDATE gc_state SET generation = generation + 1, at = :at WHERE id = 1"),
                             {"at": envinfo.now()})
                deleted = []
                for digest in find_garbage():
                    delete(digest)
                    deleted.append(digest)
                return deleted
        except sa.exc.DBAPIError as e:
            raise self._db_error(e) from None

    def removed_versions(self, project: str, name: str) -> list[Removed]:
        prefix = f"{project}/{name}:v"

        def op(conn: sa.Connection) -> list[Removed]:
            if conn.execute(q("SELECT 1 FROM collections WHERE project = :p AND name = :n"), {"p": project, "n": name}).first() is None:
                raise self._missing_collection(conn, project, name)
            rows = conn.execute(q("SELECT vid, digest, size FROM removed WHERE left(vid, length(:pre)) = :pre"),
                                {"pre": prefix}).all()
            found = {r.vid: r for r in rows if r.vid[len(prefix):].isdigit()}
            return [Removed(vid, True, "", r.digest, r.size) for vid, r in sorted(found.items(), key=lambda kv: int(kv[0][len(prefix):]))]

        return self._read(op)
