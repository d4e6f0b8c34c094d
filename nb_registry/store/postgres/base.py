"""What every part of the PostgreSQL store shares: transactions with bounded retries, the change
feed written in the same transaction as each change, the gc-generation check, common lookups.

Transactions run at READ COMMITTED (PostgreSQL's default). Writers serialise where the registry
needs an order by locking one row: a collection's row for its version numbers and aliases, a
registered model's row for its links and stage aliases, ``gc_state`` between commits and garbage
collection, ``outbox_order`` for the order of outbox events. Nothing registry-wide is locked by an
ordinary commit: the change feed is read by transaction horizon (see ``PostgresStore.changes_since``). Deadlocks (possible when a retention
delete and a commit touch the same versions in opposite orders) and serialization failures are
retried a bounded number of times; everything else is an error the caller sees.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Iterable, Sequence, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ... import envinfo
from ...errors import InvalidNameError, InvalidSpecError, NotFoundError, RegistryError
from ...names import check_alias
from ..interface import StaleGeneration
from ..records import AliasEvent
from .connect import _dumps, connection_error

T = TypeVar("T")
RETRIES = 8
RETRY_STATES = ("40001", "40P01")  # serialization_failure, deadlock_detected
q = sa.text
FEED_SHARDS = 64
_FEED = q("WITH bump AS (UPDATE feed SET generation = generation + 1 WHERE id = :shard RETURNING 1) "
          "INSERT INTO changes (kind, key) SELECT k, key FROM bump, unnest(CAST(:kinds AS text[]), CAST(:keys AS text[])) "
          "WITH ORDINALITY AS c(k, key, i) ORDER BY i")


def sqlstate(error: BaseException) -> str | None:
    return getattr(getattr(error, "orig", None), "sqlstate", None)


def constraint(error: BaseException) -> str | None:
    diag = getattr(getattr(error, "orig", None), "diag", None)
    return getattr(diag, "constraint_name", None)


def dumps(value: Any, what: str) -> str:
    """JSON for a ``json`` column; a value JSON cannot hold is the caller's error, named."""
    try:
        return _dumps(value)
    except (TypeError, ValueError) as e:
        raise InvalidSpecError(f"cannot store {what}: {e} (values are JSON: numbers, strings, booleans, None, "
                               "lists and dicts; NaN and infinity are not JSON)") from None


def check_aliases(aliases: Iterable[str]) -> list[str]:
    """User aliases, each valid and movable (``latest`` is the store's own), without repeats."""
    out = []
    for a in dict.fromkeys(aliases):
        check_alias(a)
        if a == "latest":
            raise InvalidNameError("'latest' always names the newest version; it cannot be set or removed by hand")
        out.append(a)
    return out


class Base:
    """The engine, the transaction runner, the feed and the lookups the operation mixins share."""

    engine: Engine  # transactions (READ COMMITTED)
    reader: Engine  # single-statement reads (autocommit)
    url: str

    # -- transactions ------------------------------------------------------------------------
    def _write(self, fn: Callable[[sa.Connection], T]) -> T:
        """Run ``fn`` in one transaction, retrying it on deadlock or serialization failure."""
        for attempt in range(RETRIES):
            try:
                with self.engine.begin() as conn:
                    return fn(conn)
            except sa.exc.DBAPIError as e:
                if sqlstate(e) in RETRY_STATES and attempt < RETRIES - 1:
                    time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
                    continue
                raise self._db_error(e) from None
        raise AssertionError("unreachable")

    def _read(self, fn: Callable[[sa.Connection], T]) -> T:
        """Run ``fn`` on a connection in autocommit mode: each statement sees what is committed now."""
        try:
            with self.reader.connect() as conn:
                return fn(conn)
        except sa.exc.DBAPIError as e:
            raise self._db_error(e) from None

    def _snapshot(self, fn: Callable[[sa.Connection], T]) -> T:
        """Run ``fn`` in a read-only REPEATABLE READ transaction: all its statements see one moment."""
        try:
            with self.engine.begin() as conn:
                conn.execute(q("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                return fn(conn)
        except sa.exc.DBAPIError as e:
            raise self._db_error(e) from None

    def _db_error(self, e: sa.exc.DBAPIError) -> RegistryError:
        if isinstance(e, sa.exc.OperationalError) and sqlstate(e) in (None, "08000", "08003", "08006", "08001",
                                                                      "57P01", "57P02", "57P03", "28P01", "3D000"):
            return connection_error(self.url, e)
        text = " ".join(str(getattr(e, "orig", e)).split())
        return RegistryError(f"PostgreSQL at {self.url} refused the operation: {text}")

    # -- the change feed ---------------------------------------------------------------------
    def _changed(self, conn: sa.Connection, changes: Iterable[tuple[str, str]],
                 events: Sequence[dict[str, Any]] = ()) -> None:
        """Record changes (and outbox events) in the caller's transaction: its last statements.

        Changes carry the writing transaction's id (xid); ``changes_since`` reads them by
        transaction horizon, so no global lock orders them. One of ``feed``'s counters, picked at
        random, is bumped for ``generation()``. Events take the ``outbox_order`` lock first: their
        ids are handed out when inserted, so without it a transaction could take event 10, commit
        after another that took 11, and a worker already past 11 would never see 10."""
        rows = list(dict.fromkeys(changes))
        conn.execute(_FEED, {"shard": random.randrange(FEED_SHARDS), "kinds": [k for k, _ in rows],
                             "keys": [key for _, key in rows]})
        if events:
            conn.execute(q("SELECT 1 FROM outbox_order WHERE id = 1 FOR UPDATE"))
            conn.execute(q("INSERT INTO events (kind, model, alias, from_version, to_version, artifact, by_user, at) "
                           "VALUES (:kind, :model, :alias, :from_version, :to_version, :artifact, :by, :at)"),
                         list(events))

    # -- garbage collection's generation -----------------------------------------------------
    def _check_generation(self, conn: sa.Connection, gc_generation: int) -> None:
        """Read the gc row FOR SHARE: waits while a collection runs, then sees its new generation.

        Taken first in a commit (before any other lock), so a commit waiting here holds nothing
        that a running collection could need."""
        current = conn.execute(q("SELECT generation FROM gc_state WHERE id = 1 FOR SHARE")).scalar_one()
        if current != gc_generation:
            raise StaleGeneration(int(current))

    # -- shared lookups ----------------------------------------------------------------------
    def _missing_collection(self, conn: sa.Connection, project: str, name: str) -> NotFoundError:
        names = conn.execute(q("SELECT name FROM collections WHERE project = :p ORDER BY name"), {"p": project}).scalars().all()
        hint = (f"; artifacts in project {project!r}: {', '.join(names)}" if names
                else f"; project {project!r} has no artifacts")
        return NotFoundError(f"no artifact named {name!r} in project {project!r}{hint}")

    def _missing_version(self, conn: sa.Connection, project: str, name: str, cid: int, n: Any) -> NotFoundError:
        have = conn.execute(q("SELECT version FROM (SELECT version FROM versions WHERE collection_id = :c "
                              "ORDER BY version DESC LIMIT 10) t ORDER BY version"), {"c": cid}).scalars().all()
        return NotFoundError(f"{project}/{name} has no version v{n}; versions: "
                             + (", ".join(f"v{v}" for v in have) or "(none)")
                             + (" (the newest 10)" if len(have) == 10 else ""))

    def _missing_alias(self, conn: sa.Connection, project: str, name: str, cid: int, alias: str) -> NotFoundError:
        names = conn.execute(q("SELECT alias FROM aliases WHERE collection_id = :c ORDER BY alias"), {"c": cid}).scalars().all()
        return NotFoundError(f"{project}/{name} has no alias {alias!r}; aliases: {', '.join(['latest', *names])}")

    def _missing_model(self, conn: sa.Connection, name: str) -> NotFoundError:
        names = conn.execute(q("SELECT name FROM models ORDER BY name")).scalars().all()
        return NotFoundError(f"no registered model {name!r}; registered models: {', '.join(names) or '(none)'}")

    def _missing_run(self, conn: sa.Connection, project: str, run_id: str) -> NotFoundError:
        ids = conn.execute(q("SELECT id FROM runs WHERE project = :p ORDER BY id DESC LIMIT 10"), {"p": project}).scalars().all()
        return NotFoundError(f"no run {run_id!r} in project {project!r}"
                             + (f"; runs there include: {', '.join(ids)}" if ids else f"; project {project!r} has no runs"))

    @staticmethod
    def _event(alias: str, before: int | None, after: int | None, by: str, model: str | None = None) -> AliasEvent:
        return AliasEvent(alias, before, after, by, envinfo.now(), model)
