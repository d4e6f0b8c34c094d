"""Automations: an alias move writes an event; a worker its owner starts delivers it to hooks from that owner's
own configuration. Nothing stored in a registry ever runs. Real processes, a real HTTP server for webhooks."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import nb_registry as nbr
from nb_registry.automations import Worker, config_path, load_hooks, save_hook

REPO = str(Path(__file__).resolve().parents[1])


@pytest.fixture(autouse=True)
def own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test user's configuration folder (the worker's owner)."""
    folder = tmp_path / "config"
    monkeypatch.setenv("NB_REGISTRY_CONFIG", str(folder))
    return folder


@pytest.fixture
def api(reg_root: str) -> Any:
    return nbr.Api(root=reg_root, project="p")


@pytest.fixture
def linked(api: Any, reg_root: str, tmp_path: Path) -> dict[str, Any]:
    """Two versions of 'clf' linked to registered model 'clf-prod'."""
    versions = []
    with nbr.init(project="p", job_type="train", root=reg_root) as run:
        for i in range(2):
            f = tmp_path / f"w{i}" / "model.bin"
            f.parent.mkdir()
            f.write_text(f"weights {i}")
            art = nbr.Artifact("clf", type="model")
            art.add_file(f)
            versions.append(run.log_artifact(art))
    for v in versions:
        api.link(v, "clf-prod")
    return {"versions": versions}


def cli(reg_root: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb_registry", "--root", reg_root, *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=REPO, **env))


# -- nothing in a registry runs ---------------------------------------------------------------------------
def test_a_command_written_into_a_registry_file_never_runs(api: Any, linked: dict[str, Any], reg_root: str,
                                                          tmp_path: Path) -> None:
    """0.1.0 kept automations in meta/models/<name>.json and ran them on every alias move, in the mover's process.
    Whoever could write the shared folder could run code as everyone who promotes a model. Write one by hand,
    move the alias every way there is (API, CLI, a worker with no hooks of its own): nothing runs."""
    marker = tmp_path / "pwned"
    shard = Path(reg_root) / "meta" / "models" / "clf-prod.json"
    data = json.loads(shard.read_text())
    data["automations"] = {"1": {"alias": "production", "command": f"touch {marker}", "created_at": "x", "created_by": "x"}}
    shard.write_text(json.dumps(data))
    api.registered_model("clf-prod").set_alias("production", 0)
    assert cli(reg_root, "alias", "model-registry/clf-prod:v1", "production").returncode == 0
    assert cli(reg_root, "automations", "serve", "--once").returncode == 0
    assert Worker(api.registry).run_once() == 0
    time.sleep(0.2)
    assert not marker.exists()
    assert api.registered_model("clf-prod").aliases == {"production": 1}
    assert [e["to"] for e in api.registered_model("clf-prod").events() if e["kind"] == "alias"] == [0, 1]


def test_every_move_and_link_is_an_event_written_with_it(api: Any, linked: dict[str, Any]) -> None:
    rm = api.registered_model("clf-prod")
    rm.set_alias("staging", 0)
    rm.set_alias("staging", 1)
    rm.remove_alias("staging")
    events = rm.events()
    assert [(e["kind"], e["alias"], e["from"], e["to"]) for e in events] == [
        ("link", None, None, 0), ("link", None, None, 1),
        ("alias", "staging", None, 0), ("alias", "staging", 0, 1), ("alias", "staging", 1, None)]
    assert len({e["id"] for e in events}) == len(events) and [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert events[3]["artifact"] == linked["versions"][1].id


# -- command hooks ----------------------------------------------------------------------------------------
def test_a_command_hook_of_your_own_runs_in_a_worker_with_the_version(api: Any, linked: dict[str, Any], reg_root: str,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "auto"
    out.mkdir()
    cmd = (f"env > {out}/env-$NB_REGISTRY_VERSION.txt && cat \"$NB_REGISTRY_PATH/model.bin\" > {out}/model.txt "
           "&& echo deployed")
    hook = api.add_automation("clf-prod", alias="production", command=cmd)
    assert hook["name"] == "clf-prod-production" and load_hooks() == [hook]
    assert Path(config_path()).stat().st_mode & 0o077 == 0, "the configuration is private to its owner"
    assert "automations" not in json.loads((Path(reg_root) / "meta" / "models" / "clf-prod.json").read_text())
    rm = api.registered_model("clf-prod")
    rm.set_alias("staging", 0)  # another alias: not for this hook
    rm.set_alias("production", 1)
    assert not list(out.iterdir()), "the move itself runs nothing"
    worker = cli(reg_root, "automations", "serve", "--once")  # a worker process, as its owner starts it
    assert worker.returncode == 0, worker.stderr
    env = dict(line.split("=", 1) for line in (out / "env-v1.txt").read_text().splitlines() if "=" in line)
    assert (env["NB_REGISTRY_MODEL"], env["NB_REGISTRY_ALIAS"], env["NB_REGISTRY_VERSION"]) == ("clf-prod", "production", "v1")
    assert env["NB_REGISTRY_ARTIFACT"] == linked["versions"][1].id
    assert json.loads(env["NB_REGISTRY_EVENT"])["to"] == 1
    assert (out / "model.txt").read_text() == "weights 1"
    runs = rm.automation_runs()
    assert [(r["automation"], r["status"], r["attempts"], r["exit_code"], r["version"]) for r in runs] == [
        ("clf-prod-production", "delivered", 1, 0, 1)]
    assert "deployed" in runs[0]["output"]
    assert cli(reg_root, "automations", "serve", "--once").stdout.strip() == "made 0 deliveries", "delivered once"
    shown = rm._repr_html_()
    assert "delivered" in shown and "clf-prod-production" in shown


def test_a_failing_hook_is_retried_with_backoff_then_given_up(api: Any, linked: dict[str, Any]) -> None:
    save_hook({"name": "deploy", "model": "clf-prod", "alias": "production", "command": "echo 'cannot deploy' >&2; exit 3",
               "backoff": 0.2, "max_attempts": 3})
    api.registered_model("clf-prod").set_alias("production", 0)
    worker = Worker(api.registry)
    assert worker.run_once() == 1
    assert worker.run_once() == 0, "not due before its backoff"
    statuses = []
    for _ in range(50):
        time.sleep(0.1)
        worker.run_once()
        statuses = [(r["status"], r["attempts"]) for r in api.registered_model("clf-prod").automation_runs()]
        if statuses == [("gave_up", 3)]:
            break
    assert statuses == [("gave_up", 3)]
    run = api.registered_model("clf-prod").automation_runs()[0]
    assert run["exit_code"] == 3 and "cannot deploy" in run["output"]
    assert api.registered_model("clf-prod").aliases == {"production": 0}, "a failing hook never undoes the move"
    assert worker.run_once() == 0


def test_a_hung_hook_is_killed_with_its_children(api: Any, linked: dict[str, Any], tmp_path: Path) -> None:
    save_hook({"name": "hang", "model": "clf-prod", "alias": "production", "timeout": 1,
               "command": f"echo started; sleep 60 & echo $! > {tmp_path}/child.pid; wait; echo never"})
    api.registered_model("clf-prod").set_alias("production", 0)
    t = time.monotonic()
    Worker(api.registry).run_once()
    assert time.monotonic() - t < 30
    run = api.registered_model("clf-prod").automation_runs()[0]
    assert run["status"] == "failed" and run["exit_code"] == -1
    assert "started" in run["output"] and "timed out" in run["output"] and "never" not in run["output"]
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child), "the hook's own children are killed with it"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_a_hook_only_sees_events_from_after_it_was_added(api: Any, linked: dict[str, Any], tmp_path: Path) -> None:
    rm = api.registered_model("clf-prod")
    rm.set_alias("production", 0)  # before the hook exists: not delivered
    time.sleep(0.01)
    api.add_automation("clf-prod", "production", f"echo $NB_REGISTRY_VERSION >> {tmp_path}/seen")
    rm.set_alias("production", 1)
    Worker(api.registry).run_once()
    assert (tmp_path / "seen").read_text() == "v1\n"


WORKER = """
import sys, nb_registry as nbr
from nb_registry.automations import Worker
Worker(nbr.Api(root=sys.argv[1]).registry).run_once()
"""


def test_a_worker_killed_mid_delivery_is_followed_by_one_that_delivers(api: Any, linked: dict[str, Any], reg_root: str,
                                                                        tmp_path: Path) -> None:
    """At least once: the first worker is SIGKILLed while its hook runs; its delivery stays 'running'; once that
    is older than the hook's timeout, the next worker delivers the event again, to the end."""
    started, done = tmp_path / "started", tmp_path / "done"
    save_hook({"name": "slow", "model": "clf-prod", "alias": "production", "timeout": 5,
               "command": f"echo $$ >> {started}; sleep 1; echo ok >> {done}"})
    api.registered_model("clf-prod").set_alias("production", 1)
    first = subprocess.Popen([sys.executable, "-c", WORKER, reg_root], env=dict(os.environ, PYTHONPATH=REPO),
                             start_new_session=True)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)  # the worker ...
    os.killpg(int(started.read_text().split()[0]), signal.SIGKILL)  # ... and the hook it runs (its own group): a crash
    first.wait(30)
    assert [r["status"] for r in api.registered_model("clf-prod").automation_runs()] == ["running"]
    worker = Worker(api.registry)
    assert worker.run_once() == 0, "a delivery that may still be running is not started twice"
    save_hook({**load_hooks()[0], "stale_after": 0.5})  # a 'running' record older than this is a dead worker's
    time.sleep(0.7)
    assert worker.run_once() == 1
    assert done.read_text() == "ok\n"
    assert [(r["status"], r["attempts"]) for r in api.registered_model("clf-prod").automation_runs()] == [("delivered", 2)]
    assert len(started.read_text().split()) == 2, "run twice: at least once, never lost"


# -- webhooks ---------------------------------------------------------------------------------------------
class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    fail_first = 0

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"body": body, "headers": self.headers})
        if len(type(self).received) <= type(self).fail_first:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"not now")
            return
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_server() -> Iterator[str]:
    _Hook.received, _Hook.fail_first = [], 2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def test_a_webhook_gets_a_signed_json_body_and_is_retried(api: Any, linked: dict[str, Any], reg_root: str,
                                                          webhook_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cr3t")
    added = cli(reg_root, "automations", "add", "clf-prod", "production", "--webhook", webhook_server,
                "--secret-env", "HOOK_SECRET", "--name", "ci")
    assert added.returncode == 0, added.stderr
    save_hook({**load_hooks()[0], "backoff": 0.1})
    api.registered_model("clf-prod").set_alias("production", 1)
    worker = Worker(api.registry)
    for _ in range(50):
        worker.run_once()
        if [r["status"] for r in api.registered_model("clf-prod").automation_runs()] == ["delivered"]:
            break
        time.sleep(0.1)
    runs = api.registered_model("clf-prod").automation_runs()
    assert [(r["status"], r["attempts"]) for r in runs] == [("delivered", 3)]
    assert len(_Hook.received) == 3, "two refusals, then the delivery"
    last = _Hook.received[-1]
    expected = "sha256=" + hmac.new(b"s3cr3t", last["body"], hashlib.sha256).hexdigest()
    assert last["headers"]["X-NbRegistry-Signature"] == expected
    event = json.loads(last["body"])["event"]
    assert (event["model"], event["alias"], event["to"], event["artifact"]) == ("clf-prod", "production", 1,
                                                                              linked["versions"][1].id)


def test_a_bad_configuration_names_what_is_wrong(api: Any, own_config: Path) -> None:
    own_config.mkdir(parents=True)
    (own_config / "automations.json").write_text(json.dumps({"hooks": [{"name": "x", "model": "m"}]}))
    with pytest.raises(nbr.InvalidSpecError, match="exactly one of 'command' and 'webhook'"):
        load_hooks()
    (own_config / "automations.json").write_text("{nope")
    with pytest.raises(nbr.InvalidSpecError, match="not valid JSON"):
        Worker(api.registry).run_once()


def test_automation_needs_a_model_and_a_command(api: Any) -> None:
    with pytest.raises(nbr.NotFoundError, match="ghost"):
        api.add_automation("ghost", alias="production", command="true")
    api.create_registered_model("real")
    with pytest.raises(nbr.InvalidSpecError):
        api.add_automation("real", alias="production", command="  ")


def test_every_event_is_seen_past_a_page_of_the_outbox(api: Any, linked: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """A store answers events a page at a time (1,000 by default): the worker and the model page read them all."""
    from nb_registry import automations

    rm = api.registered_model("clf-prod")
    for i in range(12):
        rm.set_alias("staging", i % 2)
    events = automations.all_events(api.registry.meta, page=5)
    assert len(events) == 14 and [e.id for e in events] == sorted(e.id for e in events)
    save_hook({"name": "late", "model": "clf-prod", "alias": "production", "command": f"echo ok >> {tmp_path}/late"})
    rm.set_alias("production", 1)
    real = automations.all_events
    monkeypatch.setattr(automations, "all_events", lambda meta, page=5: real(meta, page))
    assert Worker(api.registry).run_once() == 1, "the newest event, past the first pages, is delivered"
    assert (tmp_path / "late").read_text() == "ok\n"
