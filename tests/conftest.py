"""Shared fixtures: a registry in a temporary folder, a clean ``memory://``, and a real S3 server.

The S3 server is moto's standalone server (``ThreadedMotoServer``) on 127.0.0.1 and a free port,
started once per session; s3fs talks to it over HTTP exactly as it would talk to AWS. Each test
gets its own bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

# moto and botocore read these; dummy values keep any real credentials out of the tests.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
)



@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads or writes the real ``~/.nb_registry`` or ``~/.cache``: HOME is a temporary folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("NB_REGISTRY_ROOT", "NB_REGISTRY_CACHE", "NB_REGISTRY_PROJECT", "NB_REGISTRY_FSYNC_BLOBS"):
        monkeypatch.delenv(var, raising=False)
    yield
    from nb_registry import api, runs

    if runs.current() is not None:
        runs.current().finish()
    api._registries.clear()


@pytest.fixture
def registry_root(tmp_path: Path) -> str:
    return str(tmp_path / "registry")


@pytest.fixture
def reg_root(registry_root: str) -> str:
    return registry_root


@pytest.fixture
def reg(registry_root: str) -> Any:
    from nb_registry import Registry

    return Registry(registry_root)


@pytest.fixture
def api(registry_root: str) -> Any:
    import nb_registry as nbr

    return nbr.Api(root=registry_root)


@pytest.fixture
def run(registry_root: str) -> Iterator[Any]:
    import nb_registry as nbr

    r = nbr.init(project="proj", job_type="test", root=registry_root)
    yield r
    r.finish()


@pytest.fixture
def memfs() -> Iterator[Any]:
    """A clean global ``memory://`` filesystem (fsspec keeps one store per process)."""
    from fsspec.implementations.memory import MemoryFileSystem

    def clear() -> None:
        MemoryFileSystem.store.clear()
        MemoryFileSystem.pseudo_dirs.clear()
        MemoryFileSystem.pseudo_dirs.append("")

    clear()
    yield MemoryFileSystem()
    clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _AtomicWrites:
    """moto checks a conditional PUT's If-Match / If-None-Match and then stores the object in two steps, in
    whichever of its request threads runs; S3 itself does both as one. Writes are serialised here, so the
    test server keeps S3's promise under the concurrent writers the tests start (reads stay concurrent)."""

    def __init__(self, app: Any) -> None:
        import threading

        self.app, self.lock = app, threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") in ("PUT", "POST", "DELETE"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    port = _free_port()
    app = _AtomicWrites(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def s3_options(s3_endpoint: str) -> dict[str, Any]:
    """Storage options that point s3fs at the test server."""
    return {"client_kwargs": {"endpoint_url": s3_endpoint}}


@pytest.fixture
def s3fs_fs(s3_options: dict[str, Any]) -> Iterator[Any]:
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(**s3_options)
    yield fs
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def s3_bucket(s3fs_fs: Any) -> str:
    """A fresh, empty bucket for this test."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3fs_fs.mkdir(name)
    return name


def make_file(path: Path | str, content: bytes | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def tamper(path: str | os.PathLike[str]) -> None:
    """Overwrite a read-only stored blob with different bytes of the same size."""
    os.chmod(path, 0o644)
    data = Path(path).read_bytes()
    assert data, "tamper() needs a non-empty file"
    Path(path).write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])


# -- PostgreSQL ------------------------------------------------------------------------------
# scripts/test.sh runs the suite inside scripts/with_postgres.sh, which starts a throwaway cluster
# and exports its URL (a superuser on a maintenance database) as NB_REGISTRY_TEST_PG. Each test
# that asks for one gets a database of its own, created from a template migrated once per session
# (CREATE DATABASE ... TEMPLATE copies it in milliseconds) and dropped afterwards.
PG_ENV = "NB_REGISTRY_TEST_PG"


def _pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.fail(f"{PG_ENV} is not set, so the PostgreSQL tests have no server. Run the tests with "
                    "`bash scripts/test.sh` (it starts a throwaway PostgreSQL cluster), or wrap pytest in "
                    "`bash scripts/with_postgres.sh .venv/bin/python -m pytest ...`, or set "
                    f"{PG_ENV}=postgresql://USER:PASSWORD@127.0.0.1:PORT/postgres (a user that may create databases)",
                    pytrace=False)
    return url


def pg_database_url(admin_url: str, dbname: str) -> str:
    """The admin URL with another database name."""
    base, _, query = admin_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + dbname + (f"?{query}" if query else "")


def _pg_admin(sql: str, admin_url: str | None = None) -> None:
    import psycopg

    with psycopg.connect(admin_url or _pg_admin_url(), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A database holding the current schema, copied for each test (never opened by tests)."""
    admin = _pg_admin_url()
    name = f"nbr_template_{uuid.uuid4().hex[:8]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE template0", admin)
    try:
        from nb_registry.store.postgres import PostgresStore

        PostgresStore(pg_database_url(admin, name)).close()
        yield name
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin)


class _PgDatabases:
    """Fresh databases copied from a template, one always made ahead in a background thread
    (CREATE DATABASE forces a checkpoint, ~0.15 s, which then overlaps the previous test)."""

    def __init__(self, admin: str, template: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.admin, self.template = admin, template
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-fixture")
        self.next = self.pool.submit(self._create)

    def _create(self) -> str:
        name = f"nbr_test_{uuid.uuid4().hex[:12]}"
        _pg_admin(f"CREATE DATABASE {name} TEMPLATE {self.template} STRATEGY FILE_COPY", self.admin)
        return name

    def take(self) -> str:
        name, self.next = self.next.result(), self.pool.submit(self._create)
        return name

    def drop(self, name: str) -> None:
        self.pool.submit(_pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", self.admin)

    def close(self) -> None:
        try:
            self.drop(self.next.result())
        finally:
            self.pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def _pg_databases(pg_template: str) -> Iterator[_PgDatabases]:
    dbs = _PgDatabases(_pg_admin_url(), pg_template)
    yield dbs
    dbs.close()


@pytest.fixture
def pg_url(_pg_databases: _PgDatabases) -> Iterator[str]:
    """The URL of a fresh PostgreSQL database with the registry's schema, dropped after the test."""
    name = _pg_databases.take()
    try:
        yield pg_database_url(_pg_databases.admin, name)
    finally:
        _pg_databases.drop(name)


@pytest.fixture
def pg_empty_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database (no schema yet), dropped after the test."""
    admin = _pg_admin_url()
    name = f"nbr_empty_{uuid.uuid4().hex[:12]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE template0", admin)
    try:
        yield pg_database_url(admin, name)
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin)


async def call_rest(jp_fetch: Any, *path: str, method: str = "GET", body: Any = None, params: Any = None) -> tuple[int, Any]:
    """A request to the registry's REST API through pytest-jupyter's ``jp_fetch``: (status, JSON body), errors too."""
    from tornado.httpclient import HTTPClientError

    kwargs: dict[str, Any] = {"method": method, "params": params or {}}
    if body is not None:
        kwargs["body"] = body if isinstance(body, str) else json.dumps(body)
    try:
        r = await jp_fetch("nb-registry", "api", *path, **kwargs)
    except HTTPClientError as e:
        assert e.response is not None
        return e.code, json.loads(e.response.body)
    return r.code, json.loads(r.body)
