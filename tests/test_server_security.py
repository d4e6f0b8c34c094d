"""The REST API against a real Jupyter server: no path segment reaches outside the registry, no error
body shows a server path, and a write waiting on the registry lock never freezes the server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from tornado.httpclient import HTTPClientError

import nb_registry as nbr
from nb_registry.server.handlers import ROUTES

pytest_plugins = ["pytest_jupyter.jupyter_server"]

HOLD_MAX = 8.0  # seconds a lock holder keeps the lock at most (so a test of blocking code cannot hang)


@contextlib.contextmanager
def registry_write_blocked(root: str) -> Iterator[None]:
    """Make every registry write wait: another real process holds the registry's write lock until the
    block ends (at most HOLD_MAX seconds). The one place that knows how the lock is made."""
    code = ("import filelock, select, sys\n"
            "lock = filelock.FileLock(sys.argv[1]); lock.acquire()\n"
            "print('held', flush=True)\n"
            f"select.select([sys.stdin], [], [], {HOLD_MAX})\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(Path(root, "meta", ".lock"))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(HOLD_MAX + 5)


@pytest.fixture
def reg_dir(tmp_path: Path) -> str:
    root = str(tmp_path / "served")
    with nbr.init(root=root, project="p", job_type="train", config={"lr": 0.1}) as run:
        art = nbr.Artifact("clf", type="model")
        with art.new_file("w.json") as f:
            f.write("{}")
        run.link_artifact(run.log_artifact(art), "churn", aliases=["staging"])
    return root


@pytest.fixture
def jp_server_config(reg_dir: str) -> Any:
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"nb_registry": True}}, "NbRegistry": {"root": reg_dir, "project": "p"}})


@pytest.fixture
def raw(http_server_client: Any, jp_auth_header: dict[str, str], jp_base_url: str, jp_serverapp: Any) -> Any:
    """Fetch ``/nb-registry/api/<path>`` with the path sent exactly as written (``%2F`` stays encoded)."""

    async def fetch(path: str, method: str = "GET", body: Any = None) -> tuple[int, str]:
        kwargs: dict[str, Any] = {"method": method, "headers": dict(jp_auth_header), "request_timeout": 30}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["body"] = json.dumps(body if body is not None else {})
        try:
            r = await http_server_client.fetch(f"{jp_base_url.rstrip('/')}/nb-registry/api/{path}", **kwargs)
        except HTTPClientError as e:
            assert e.response is not None
            return e.code, e.response.body.decode()
        return r.code, r.body.decode()

    return fetch


def _plant_outside(tmp_path: Path, reg_dir: str) -> None:
    """A run-shaped JSON file and a non-JSON file outside the registry, next to it."""
    real = next(Path(reg_dir, "meta", "runs", "p").glob("*.json"))
    doc = json.loads(real.read_text())
    (doc["run"]["1"]).update(config={"password": "hunter2"}, project="secret", id="creds")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "creds.json").write_text(json.dumps(doc))
    (secret / "notes.json").write_text("not json: the server's private notes\n")


TRAVERSAL = "..%2F..%2F..%2Fsecret"


async def test_run_endpoint_refuses_a_project_that_leaves_the_registry(raw: Any, tmp_path: Path, reg_dir: str) -> None:
    _plant_outside(tmp_path, reg_dir)
    code, body = await raw(f"runs/{TRAVERSAL}/creds")
    assert "hunter2" not in body
    assert code == 400 and "invalid project" in json.loads(body)["error"]
    code, body = await raw(f"runs/{TRAVERSAL}/notes")
    assert code == 400 and str(tmp_path) not in body
    code, body = await raw("runs/p/..%2F..%2F..%2F..%2Fsecret%2Fcreds")
    assert code == 400 and "invalid run id" in json.loads(body)["error"] and "hunter2" not in body


async def test_every_path_segment_of_every_endpoint_is_checked_as_a_name(raw: Any, tmp_path: Path, reg_dir: str) -> None:
    _plant_outside(tmp_path, reg_dir)
    before = nbr.Api(root=reg_dir).generation()
    tried = 0
    for pattern, handler in ROUTES:
        parts = pattern.replace("([^/]+)", "{}").split("/")
        holes = [i for i, p in enumerate(parts) if p == "{}"]
        methods = [m.upper() for m in ("get", "post", "put", "patch", "delete") if {m, f"do_{m}"} & set(vars(handler))]
        for hole in holes:
            for method in methods:
                path = "/".join(TRAVERSAL if i == hole else ("x" if p == "{}" else p) for i, p in enumerate(parts))
                code, body = await raw(path, method, {"version": "v0", "artifact": "clf:v0"})
                assert code == 400, (method, path, code, body)
                assert str(tmp_path) not in body and "invalid" in json.loads(body)["error"]
                tried += 1
    assert tried >= 12
    assert nbr.Api(root=reg_dir).generation() == before


async def test_server_errors_name_what_failed_but_no_server_path(raw: Any, tmp_path: Path, reg_dir: str) -> None:
    shard = next(Path(reg_dir, "meta", "runs", "p").glob("*.json"))
    run_id = shard.stem
    shard.write_text("{ damaged")
    code, body = await raw(f"runs/p/{run_id}")
    assert code == 500
    err = json.loads(body)["error"]
    assert str(tmp_path) not in body and reg_dir not in body
    assert f"runs/p/{run_id}.json" in err  # what failed, named from the registry root
    shard.write_text(json.dumps({"run": ["not", "a", "table"]}))  # valid JSON of the wrong shape
    code, body = await raw(f"runs/p/{run_id}")
    assert code >= 400 and str(tmp_path) not in body and "Traceback" not in body


async def test_status_answers_while_a_write_waits_on_the_lock(raw: Any, reg_dir: str) -> None:
    with registry_write_blocked(reg_dir):
        write = asyncio.ensure_future(raw("models/churn/aliases/production", "PUT", {"version": "v0"}))
        await asyncio.sleep(0.5)  # the write is now waiting for the lock
        assert not write.done()
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            code, body = await raw("status")
            times.append(time.perf_counter() - t0)
            assert code == 200 and json.loads(body)["version"] == nbr.__version__
        code, _ = await raw("models/churn")
        assert code == 200
        assert not write.done(), "the write should still be waiting for the lock"
        assert min(times) < 0.1 and max(times) < 2, times
    code, body = await asyncio.wait_for(write, 30)
    assert code == 200 and json.loads(body)["aliases"]["production"] == 0
