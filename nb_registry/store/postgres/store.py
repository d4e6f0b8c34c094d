"""``PostgresStore``: the metadata store of a team, in one PostgreSQL database.

The operations live in mixins by subject (``artifacts``, ``gc``, ``runs``, ``models``); this module
opens the database, and holds the change feed, prediction logs and the lifecycle.
"""

from __future__ import annotations

import os
import weakref
from typing import Any, Mapping, Sequence

import sqlalchemy as sa

from ..interface import MetadataStore
from ..records import Change
from .artifacts import ArtifactOps
from .base import dumps, q
from .connect import HEAD, connection_error, create_engine, ensure_schema, parse_url
from .gc import GcOps
from .imports import ImportOps
from .models import ModelOps
from .runs import RunOps


_OPEN: "weakref.WeakSet[PostgresStore]" = weakref.WeakSet()


def _after_fork() -> None:
    """A forked child must not use its parent's pooled connections (the server would see two
    clients on one socket): it forgets them, without closing them under the parent's feet."""
    for store in list(_OPEN):
        store.engine.dispose(close=False)
        store.reader.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class PostgresStore(ArtifactOps, GcOps, RunOps, ModelOps, ImportOps, MetadataStore):
    """The metadata of a registry in a PostgreSQL database (blobs live elsewhere: see ``BlobStore``).

    ``url`` is ``postgresql://user:password@host:port/dbname`` (``postgres://`` and
    ``postgresql+psycopg://`` too). Opening checks the server, then the schema: an empty database
    is set up, an older schema migrated, a newer one refused. ``self.url`` never holds the password.
    """

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        target, self.url = parse_url(url)
        self.engine = create_engine(target, pool_size=pool_size)
        self.reader = create_engine(target, pool_size=pool_size, autocommit=True)
        try:
            self.revision = ensure_schema(self.engine, self.url, self.reader)
        except BaseException:
            self.close()
            raise
        _OPEN.add(self)

    def __repr__(self) -> str:
        return f"<PostgresStore {self.url}>"

    # -- change feed -------------------------------------------------------------------------
    def changes_since(self, cursor: Any = None) -> tuple[list[Change], Any]:
        """What changed since ``cursor``, each (kind, key) once, in the order of its newest change.

        The cursor is a transaction horizon, not a change id: the oldest transaction still running
        when we read (``pg_snapshot_xmin``), taken in the same snapshot as the rows. A change we
        cannot see yet belongs to a transaction still running, whose id is at least that horizon,
        so the next call (rows with ``xid >= cursor``) returns it. Change ids alone would not do:
        they are handed out at insert, and a transaction holding a lower one can commit after a
        reader has moved past it. Rows of transactions newer than the horizon come again (at most
        until the oldest running transaction ends), which the interface allows."""
        if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
            from ...errors import InvalidSpecError

            raise InvalidSpecError(f"a change cursor is what changes_since returned (an int or None), not {cursor!r}")

        def op(conn: sa.Connection) -> tuple[list[Change], int]:
            horizon = conn.execute(q("SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)")).scalar_one()
            rows = conn.execute(q(
                "SELECT kind, key, max(id) AS last FROM changes "
                "WHERE CAST(:c AS text) IS NULL OR xid >= CAST(CAST(:c AS text) AS xid8) GROUP BY kind, key ORDER BY last"),
                {"c": None if cursor is None else str(cursor)}).all()
            return [Change(r.kind, r.key) for r in rows], int(horizon)

        return self._snapshot(op)

    def generation(self) -> int:
        return int(self._read(lambda conn: conn.execute(q("SELECT sum(generation) FROM feed")).scalar_one()))

    # -- prediction logs ---------------------------------------------------------------------
    def append_predictions(self, version_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """One multi-row INSERT: the rows of one call stay together and in order; no lock is taken."""
        if not rows:
            return
        docs = [dumps(dict(r), f"a prediction row of {version_id}") for r in rows]

        def op(conn: sa.Connection) -> None:
            conn.execute(q("INSERT INTO predictions (version_id, row) "
                           "SELECT :v, CAST(r AS json) FROM unnest(CAST(:rows AS text[])) WITH ORDINALITY AS t(r, i) ORDER BY i"),
                         {"v": version_id, "rows": docs})

        self._write(op)

    def predictions(self, version_id: str) -> list[dict[str, Any]]:
        return self._read(lambda conn: [dict(r) for r in conn.execute(q(
            "SELECT row FROM predictions WHERE version_id = :v ORDER BY id"), {"v": version_id}).scalars()])

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self.engine.dispose()
        self.reader.dispose()

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        try:
            with self.reader.connect() as conn:
                out["server"] = conn.execute(q("SHOW server_version")).scalar()
        except sa.exc.DBAPIError as e:
            out["error"] = str(connection_error(self.url, e))
        out["schema"] = self.revision
        out["schema_head"] = HEAD
        return out
