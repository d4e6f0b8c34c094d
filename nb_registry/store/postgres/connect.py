"""Opening a PostgreSQL metadata store: URLs, clear connection errors, and the schema migrated on open.

Users write ``postgresql://user:password@host:port/dbname`` (or ``postgres://``, as Heroku and many
hosted services print it); SQLAlchemy is told ``postgresql+psycopg://`` (psycopg 3). What the store
shows in messages and ``describe()`` never holds the password.

The schema is Alembic's: the migration scripts ship in this package (``migrations/``), so a wheel
can migrate. Opening a database at the newest revision costs one query and never imports Alembic;
an empty database or one at an older revision is migrated under a transaction-level advisory lock
(two processes opening at once: one migrates, the other waits and finds it done); a database at a
revision this nb_registry does not know (written by a newer one) is refused.
"""

from __future__ import annotations

import json
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from ...errors import InvalidSpecError, RegistryError

# Every migration shipped, oldest first; the last one is what this code expects. A test checks that
# this matches Alembic's own view of ``migrations/versions``.
REVISIONS = ("0001",)
HEAD = REVISIONS[-1]
MIGRATION_LOCK = 0x6E62725F736368  # pg_advisory_xact_lock key ("nbr_sch")
SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")


def is_postgres_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SCHEMES if "://" in url else False


def parse_url(url: str) -> tuple[URL, str]:
    """(the URL SQLAlchemy connects to, the URL to show: no password, plain ``postgresql://``)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        raise InvalidSpecError(f"not a PostgreSQL URL: {display_guess(url)!r}; expected postgresql://user@host:port/dbname")
    try:
        parsed = sa.engine.make_url("postgresql+psycopg://" + url.split("://", 1)[1])
    except (sa.exc.ArgumentError, ValueError) as e:
        raise InvalidSpecError(f"bad PostgreSQL URL {display_guess(url)!r}: {e}") from None
    if not parsed.database:
        raise InvalidSpecError(f"PostgreSQL URL {display(parsed)!r} names no database; "
                               "expected postgresql://user@host:port/dbname")
    return parsed, display(parsed)


def display(url: URL) -> str:
    query = {k: v for k, v in url.query.items() if k.lower() != "password"}
    safe = URL.create("postgresql", url.username, None, url.host, url.port, url.database, query)
    return safe.render_as_string(hide_password=False)


def display_guess(url: str) -> str:
    """A URL that may not parse, with anything between ``:`` and ``@`` of its authority removed."""
    head, sep, rest = url.partition("://")
    auth, at, tail = rest.partition("@")
    if at and ":" in auth:
        auth = auth.split(":", 1)[0]
    return f"{head}{sep}{auth}{at}{tail}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def create_engine(url: URL, pool_size: int = 4, autocommit: bool = False) -> Engine:
    """A pooled engine; ``autocommit`` ones serve single-statement reads (one round trip each: no
    BEGIN, no ROLLBACK, and no isolation level switched back and forth on a shared pool)."""
    return sa.create_engine(
        url, pool_size=pool_size, max_overflow=12, pool_pre_ping=False, pool_recycle=3600,
        json_serializer=_dumps, isolation_level="AUTOCOMMIT" if autocommit else "READ COMMITTED",
        connect_args={"connect_timeout": 10, "application_name": "nb_registry"},
    )


def connection_error(where: str, error: BaseException) -> RegistryError:
    """One clear error for a server that cannot be reached, a wrong password or a missing database."""
    orig = getattr(error, "orig", None) or error
    state = getattr(orig, "sqlstate", None)
    text = " ".join(str(orig).split()) or type(orig).__name__
    if state in ("28P01", "28000") or "password authentication failed" in text or "no password supplied" in text:
        hint = ("the user or password is wrong: put them in the URL (postgresql://USER:PASSWORD@HOST:PORT/DBNAME), "
                "or the password in ~/.pgpass or PGPASSWORD")
    elif state == "3D000" or ("database" in text and "does not exist" in text):
        hint = "the database does not exist: create it first (createdb DBNAME, or CREATE DATABASE in psql)"
    else:
        hint = "is the server running and listening on that host and port? Check the URL and the server"
    return RegistryError(f"cannot connect to PostgreSQL at {where}: {text}; {hint}")


def _revision(conn: sa.Connection) -> str | None:
    if conn.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine, where: str, reader: Engine | None = None) -> str:
    """Check the schema on open (with ``reader`` when given: a process that only reads then never
    opens a transaction connection), migrating an empty or older database; returns the revision."""
    try:
        with (reader or engine).connect() as conn:
            rev = _revision(conn)
            conn.rollback()
        if rev == HEAD:
            return rev
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            rev = _revision(conn)  # another process may have migrated while we waited
            if rev == HEAD:
                return rev
            if rev is None:
                others = conn.execute(sa.text(
                    "SELECT string_agg(tablename, ', ' ORDER BY tablename) FROM pg_tables "
                    "WHERE schemaname = current_schema()")).scalar()
                if others:
                    raise RegistryError(f"PostgreSQL database {where} holds tables that are not an nb_registry "
                                        f"registry ({others}); use an empty database for the registry")
            elif rev not in REVISIONS:
                raise RegistryError(f"PostgreSQL database {where} has schema revision {rev!r}, newer than this "
                                    f"nb_registry knows (up to {HEAD!r}); upgrade nb_registry to open it")
            _upgrade(conn)
            return HEAD
    except sa.exc.OperationalError as e:
        raise connection_error(where, e) from None


def _upgrade(conn: sa.Connection) -> None:
    """Run Alembic's upgrade to head on ``conn``, inside its transaction (imported only here)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS.replace("%", "%%"))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")
