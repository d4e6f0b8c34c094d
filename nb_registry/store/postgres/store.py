"""``PostgresStore``: the metadata store of a team, in one PostgreSQL database.

The operations live in mixins by subject (``artifacts``, ``gc``, ``runs``, ``models``); this module
opens the database, and holds the change feed, prediction logs and the lifecycle.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import sqlalchemy as sa

from ..interface import MetadataStore
from ..records import Change
from .artifacts import ArtifactOps
from .base import dumps, q
from .connect import HEAD, connection_error, create_engine, ensure_schema, parse_url
from .gc import GcOps
from .models import ModelOps
from .runs import RunOps


class PostgresStore(ArtifactOps, GcOps, RunOps, ModelOps, MetadataStore):
    """The metadata of a registry in a PostgreSQL database (blobs live elsewhere: see ``BlobStore``).

    ``url`` is ``postgresql://user:password@host:port/dbname`` (``postgres://`` and
    ``postgresql+psycopg://`` too). Opening checks the server, then the schema: an empty database
    is set up, an older schema migrated, a newer one refused. ``self.url`` never holds the password.
    """

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        target, self.url = parse_url(url)
        self.engine = create_engine(target, pool_size=pool_size)
        try:
            self.revision = ensure_schema(self.engine, self.url)
        except BaseException:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"<PostgresStore {self.url}>"

    # -- change feed -------------------------------------------------------------------------
    def changes_since(self, cursor: Any = None) -> tuple[list[Change], Any]:
        """Changes with an id above ``cursor`` (an int; None: from the start), each (kind, key) once,
        in the order of its newest change; the cursor is the highest id returned.

        Ids grow in commit order (see ``Base._changed``), so a change committed after this read
        has a higher id than any returned here and is in the next answer."""
        if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
            from ...errors import InvalidSpecError

            raise InvalidSpecError(f"a change cursor is what changes_since returned (an int or None), not {cursor!r}")
        rows = self._read(lambda conn: conn.execute(q(
            "SELECT kind, key, max(id) AS last FROM changes WHERE id > :c GROUP BY kind, key ORDER BY last"),
            {"c": cursor or 0}).all())
        return [Change(r.kind, r.key) for r in rows], (rows[-1].last if rows else (cursor or 0))

    def generation(self) -> int:
        return int(self._read(lambda conn: conn.execute(q("SELECT generation FROM feed WHERE id = 1")).scalar_one()))

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

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        try:
            with self.engine.connect() as conn:
                out["server"] = conn.execute(q("SHOW server_version")).scalar()
        except sa.exc.DBAPIError as e:
            out["error"] = str(connection_error(self.url, e))
        out["schema"] = self.revision
        out["schema_head"] = HEAD
        return out
