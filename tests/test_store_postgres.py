"""What only the PostgreSQL store has: URLs and connection errors, schema migrations, and the
invariants held by the schema itself (not by the store's code). The behaviour every backend shares
is in test_store_contract.py."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import pg_database_url
from store_backends import open_and_report, race, version

from nb_registry.errors import InvalidSpecError, RegistryError
from nb_registry.store.postgres import PostgresStore
from nb_registry.store.postgres.connect import HEAD, MIGRATIONS, REVISIONS


@pytest.fixture
def pg(pg_url: str) -> Any:
    s = PostgresStore(pg_url)
    yield s
    s.close()


def _password(url: str) -> str:
    return sa.engine.make_url(url).password or ""


def test_url_never_holds_the_password(pg_url: str) -> None:
    s = PostgresStore(pg_url)
    try:
        secret = _password(pg_url)
        assert secret and secret not in s.url and secret not in repr(s) and secret not in str(s.describe())
        assert s.url.startswith("postgresql://postgres@127.0.0.1:")
    finally:
        s.close()


@pytest.mark.parametrize("scheme", ["postgres", "postgresql+psycopg"])
def test_other_spellings_of_the_url(pg_url: str, scheme: str) -> None:
    s = PostgresStore(scheme + "://" + pg_url.split("://", 1)[1])
    try:
        assert s.url.startswith("postgresql://") and s.gc_generation() == 0
    finally:
        s.close()


def test_bad_urls_are_refused_clearly() -> None:
    with pytest.raises(InvalidSpecError, match="postgresql://user@host"):
        PostgresStore("mysql://u:secret@h/db")
    with pytest.raises(InvalidSpecError, match="names no database") as e:
        PostgresStore("postgresql://u:secret@127.0.0.1:1")
    assert "secret" not in str(e.value)


def test_wrong_password_is_one_clear_error(pg_url: str) -> None:
    wrong = pg_url.replace(_password(pg_url), "not-the-password")
    with pytest.raises(RegistryError, match="password") as e:
        PostgresStore(wrong)
    msg = str(e.value)
    assert "not-the-password" not in msg and "postgres@127.0.0.1" in msg and "PGPASSWORD" in msg


def test_missing_database_says_how_to_create_it(pg_url: str) -> None:
    with pytest.raises(RegistryError, match=r"(?s)nbr_nowhere.*does not exist.*createdb") as e:
        PostgresStore(pg_database_url(pg_url, "nbr_nowhere"))
    assert _password(pg_url) not in str(e.value)


def test_unreachable_server_names_the_url(pg_url: str) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(RegistryError, match=rf"(?s)127\.0\.0\.1:{port}/db.*server running"):
        PostgresStore(f"postgresql://u:pw@127.0.0.1:{port}/db")


# -- migrations -------------------------------------------------------------------------------------
def test_an_empty_database_is_migrated_on_open(pg_empty_url: str) -> None:
    s = PostgresStore(pg_empty_url)
    try:
        assert s.revision == HEAD
        with s.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert s.commit_version(version("clf", "d0"), [], by="t", gc_generation=0).version.version == 0
    finally:
        s.close()
    again = PostgresStore(pg_empty_url)  # opening an up-to-date database migrates nothing
    try:
        assert again.get_version("p", "clf", "latest").digest == "d0"
    finally:
        again.close()


def test_processes_opening_an_empty_database_at_once_migrate_it_once(pg_empty_url: str) -> None:
    spec = {"kind": "postgres", "url": pg_empty_url}
    assert race([(open_and_report, (spec,)) for _ in range(4)]) == [HEAD] * 4


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    with sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://")).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(RegistryError, match=r"(?s)'9999'.*newer.*upgrade nb_registry"):
        PostgresStore(pg_url)


def test_a_database_of_something_else_is_refused(pg_empty_url: str) -> None:
    with sa.create_engine(pg_empty_url.replace("postgresql://", "postgresql+psycopg://")).begin() as conn:
        conn.execute(sa.text("CREATE TABLE invoices (id int)"))
    with pytest.raises(RegistryError, match=r"(?s)invoices.*empty database"):
        PostgresStore(pg_empty_url)


def test_the_revision_list_matches_the_shipped_migrations() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(MIGRATIONS)
    assert [s.revision for s in reversed(list(scripts.walk_revisions()))] == list(REVISIONS)
    assert scripts.get_current_head() == HEAD


def test_import_stays_light() -> None:
    code = ("import sys, nb_registry, nb_registry.store, nb_registry.store.interface; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg', 'alembic')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


# -- the schema holds the invariants, whatever code writes ------------------------------------------
def _raw(pg: PostgresStore, sql: str) -> None:
    with pg.engine.begin() as conn:
        conn.execute(sa.text(sql))


def test_alias_history_and_outbox_are_append_only(pg: PostgresStore) -> None:
    pg.commit_version(version("clf", "d0"), [], by="t", gc_generation=0)
    pg.commit_version(version("clf", "d1"), ["best"], by="t", gc_generation=0)
    pg.link("reg", "p/clf:v1", aliases=["prod"], by="t")
    assert pg.delete_versions(["p/clf:v0"], by="t")[0].removed
    for table in ("alias_history", "model_history", "events", "removed"):
        for sql in (f"UPDATE {table} SET at = 'x'", f"DELETE FROM {table}", f"TRUNCATE {table} CASCADE"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                _raw(pg, sql)
    assert len(pg.alias_history("p", "clf")) == 1 and len(pg.events()) == 2


def test_constraints_refuse_what_the_registry_forbids(pg: PostgresStore) -> None:
    pg.commit_version(version("clf", "d0"), ["best"], by="t", gc_generation=0)
    pg.commit_version(version("clf", "d1"), [], by="t", gc_generation=0)
    refused = [
        "INSERT INTO versions (collection_id, version, vid, digest, doc) SELECT id, 0, 'x', 'dx', '{}' FROM collections",
        "INSERT INTO aliases (collection_id, alias, version) SELECT id, 'best', 1 FROM collections",  # one alias per name
        "INSERT INTO aliases (collection_id, alias, version) SELECT id, 'other', 7 FROM collections",  # on no version
        "INSERT INTO aliases (collection_id, alias, version) SELECT id, 'latest', 1 FROM collections",
        "DELETE FROM versions WHERE vid = 'p/clf:v0'",  # aliased
        "INSERT INTO model_versions (model, version, artifact, digest, linked_at, tags) VALUES ('m', 0, 'p/clf:v9', 'd', 't', '{}')",
    ]
    for sql in refused:
        with pytest.raises(sa.exc.IntegrityError):
            _raw(pg, sql)
    assert pg.collection("p", "clf").count == 2


def test_a_change_committed_late_with_a_lower_id_is_not_missed(pg: PostgresStore) -> None:
    _, cursor = pg.changes_since(None)
    slow = pg.engine.connect()
    try:
        slow.begin()
        slow.execute(sa.text("INSERT INTO changes (kind, key) VALUES ('collection', 'p/slow')"))  # takes the lower id
        pg.commit_version(version("fast", "d0"), [], by="t", gc_generation=0)  # a higher id, committed first
        seen, cursor = pg.changes_since(cursor)
        assert [c.key for c in seen] == ["p/fast"]
        slow.commit()
    finally:
        slow.close()
    assert "p/slow" in [c.key for c in pg.changes_since(cursor)[0]]


def test_a_forked_child_opens_its_own_connections(pg: PostgresStore) -> None:
    import os

    def backend() -> int:  # the server process behind the connection a read checks out
        return int(pg._read(lambda conn: conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()))

    pg.commit_version(version("clf", "d0"), ["best"], by="t", gc_generation=0)
    parent = backend()  # the parent's pool now holds this connection
    pid = os.fork()
    if pid == 0:  # the child: must not talk through the parent's socket (two clients, one session)
        code = 3
        try:
            pg.commit_version(version("clf", "d1"), ["best"], by="child", gc_generation=0)
            code = 0 if backend() != parent and pg.get_version("p", "clf", "best").digest == "d1" else 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert backend() == parent  # the parent keeps its connections, and they still work
    assert pg.get_version("p", "clf", "best").digest == "d1" and pg.collection("p", "clf").count == 2


def test_a_version_deduplicated_against_is_locked_before_aliases_move_onto_it(pg: PostgresStore) -> None:
    """Found by the team simulation: a log that deduplicates against v1 while retention deletes v1
    used to fail on the alias foreign key. Now the log waits for the delete and, once it commits,
    stores a new version holding the aliases."""
    import threading

    pg.commit_version(version("clf", "same"), [], by="t", gc_generation=0)
    pg.commit_version(version("clf", "other"), [], by="t", gc_generation=0)
    pg.commit_version(version("clf", "third"), [], by="t", gc_generation=0)
    deleter = pg.engine.connect()
    out: dict[str, Any] = {}
    try:
        deleter.begin()
        deleter.execute(sa.text("SELECT 1 FROM versions WHERE vid = 'p/clf:v0' FOR UPDATE"))
        deleter.execute(sa.text("DELETE FROM versions WHERE vid = 'p/clf:v0'"))

        def log() -> None:
            try:
                out["committed"] = pg.commit_version(version("clf", "same"), ["best"], by="t", gc_generation=0)
            except BaseException as e:  # reported below
                out["error"] = e

        t = threading.Thread(target=log)
        t.start()
        t.join(1.0)
        assert t.is_alive(), f"the log did not wait for the delete holding v0: {out}"
        deleter.commit()
        t.join(30)
    finally:
        deleter.close()
    assert "error" not in out, out
    committed = out["committed"]
    assert committed.created and committed.version.version == 3
    assert pg.get_version("p", "clf", "best").version == 3
