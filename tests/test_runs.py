"""Runs: what a run records, metric history at scale, summary, states (finished, failed, crashed).

Real registries in tmp folders, real git repositories, real child processes (one is killed with
SIGKILL to leave its run unfinished). No mocks.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import nb_registry as nbr
from nb_registry import runstate
from nb_registry import runs as runs_mod

REPO = str(Path(__file__).resolve().parents[1])


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python that must import this checkout of nb_registry."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def run_child(code: str, *args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=child_env(), cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def api(reg_root: str) -> Any:
    return nbr.Api(root=reg_root, project="p")


def journal_lines(root: str) -> list[str]:
    path = Path(root) / "meta" / "journal.log"
    return path.read_text().splitlines() if path.exists() else []


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "code"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "train.py").write_text("print('train')\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    return repo


# -- what a run records ------------------------------------------------------------------------
def test_init_records_config_environment_and_clean_git(api: Any, reg_root: str, git_repo: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(git_repo)
    head = git(git_repo, "rev-parse", "HEAD")
    run = nbr.init(project="p", job_type="train", config={"lr": 0.01, "layers": [64, 32]}, tags=["baseline", "cpu"],
                   notes="first try", root=reg_root, code="print('hi')", notebook="notebooks/train.ipynb")
    run.finish()
    got = api.run(run.id)
    info = got.info
    assert got.config == {"lr": 0.01, "layers": [64, 32]}
    assert got.tags == ["baseline", "cpu"]
    assert got.notes == "first try"
    assert got.job_type == "train"
    assert info["user"] == (os.environ.get("NB_REGISTRY_USER") or getpass.getuser())
    assert info["host"] == socket.gethostname()
    assert info["python"] == sys.version.split()[0]
    assert info["started_at"] and info["ended_at"] and info["ended_at"] >= info["started_at"]
    assert info["cwd"] == str(git_repo)
    assert info["code"] == "print('hi')"
    assert info["notebook"] == "notebooks/train.ipynb"
    assert got.git["commit"] == head
    assert got.git["dirty"] is False
    assert got.state == "finished"
    assert info["exit_code"] == 0


def test_git_dirty_flag_when_a_tracked_file_changed(api: Any, reg_root: str, git_repo: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(git_repo)
    (git_repo / "train.py").write_text("print('changed')\n")
    run = nbr.init(project="p", root=reg_root)
    run.finish()
    assert api.run(run.id).git["dirty"] is True
    assert api.run(run.id).git["commit"] == git(git_repo, "rev-parse", "HEAD")


def test_run_outside_a_git_repository_has_no_commit(api: Any, reg_root: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    run = nbr.init(project="p", root=reg_root)
    run.finish()
    assert api.run(run.id).git is None


def test_command_line_of_a_script_is_recorded(api: Any, reg_root: str, tmp_path: Path) -> None:
    script = tmp_path / "train_script.py"
    script.write_text(textwrap.dedent("""
        import sys, nb_registry as nbr
        run = nbr.init(project="p", root=sys.argv[1], job_type="train")
        run.finish()
        print(run.id)
    """))
    r = subprocess.run([sys.executable, str(script), reg_root, "--epochs", "3"], env=child_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    run = api.run(r.stdout.strip())
    assert run.info["command"] == [sys.executable, str(script), reg_root, "--epochs", "3"]
    assert run.info["pid"] != os.getpid()


def test_run_ids_are_short_and_unique(reg_root: str) -> None:
    ids = set()
    for _ in range(20):
        run = nbr.init(project="p", root=reg_root)
        run.finish()
        ids.add(run.id)
    assert len(ids) == 20
    assert all(len(i) <= 12 for i in ids)


def test_init_finishes_the_previous_run_of_the_process(api: Any, reg_root: str) -> None:
    first = nbr.init(project="p", root=reg_root)
    second = nbr.init(project="p", root=reg_root)
    assert api.run(first.id).state == "finished"
    assert nbr.run is second
    second.finish()
    assert nbr.run is None


# -- metric history ------------------------------------------------------------------------------
def test_long_history_is_batched_and_read_back_exactly(api: Any, reg_root: str) -> None:
    n = 100_000
    run = nbr.init(project="p", job_type="train", root=reg_root)
    before = journal_lines(reg_root)
    for i in range(n):
        run.log({"loss": 1.0 / (i + 1), "epoch": i // 1000})
    hist_file = Path(reg_root) / "meta" / "runs" / "p" / f"{run.id}.history.jsonl"
    # while training: appended in batches to one JSON-lines file, not one shard rewrite per step
    assert hist_file.exists()
    assert sum(1 for _ in hist_file.open()) == n
    run.finish()
    writes = [line for line in journal_lines(reg_root)[len(before):] if line == f"runs/p/{run.id}.json"]
    assert 1 <= len(writes) <= 5, f"the run shard was rewritten {len(writes)} times for {n} steps"
    shard = Path(reg_root) / "meta" / "runs" / "p" / f"{run.id}.json"
    assert shard.stat().st_size < 10_000, "the history must not live in the run document"
    assert not hist_file.exists(), "the finished history moves into one content-addressed blob"

    got = api.run(f"p/{run.id}")
    records = got.history().to_records()
    assert len(records) == n
    assert [r["_step"] for r in records[:3]] == [0, 1, 2]
    assert records[-1]["_step"] == n - 1
    assert records[12345]["loss"] == 1.0 / 12346
    assert records[-1]["epoch"] == (n - 1) // 1000
    assert all(records[i]["loss"] == 1.0 / (i + 1) for i in range(0, n, 997))
    assert got.history(keys=["loss"]).columns == ["_step", "loss"]
    assert got.info["steps"] == n


def test_history_of_a_running_run_is_readable(reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    for i in range(5):
        run.log({"x": i})
    assert [r["x"] for r in run.history().to_records()] == [0, 1, 2, 3, 4]
    run.finish()


def test_explicit_steps_merge_and_only_increase(reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    run.log({"a": 1}, step=10)
    run.log({"b": 2}, step=10)  # same step: one row, as in W&B
    run.log({"a": 3}, step=12)
    with pytest.raises(nbr.InvalidSpecError, match="steps only increase"):
        run.log({"a": 4}, step=11)
    rows = run.history().to_records()
    assert [(r["_step"], r["a"], r["b"]) for r in rows] == [(10, 1, 2), (12, 3, None)]
    run.finish()
    rows = nbr.Api(root=reg_root).run(run.path).history().to_records()
    assert [(r["_step"], r["a"], r["b"]) for r in rows] == [(10, 1, 2), (12, 3, None)]


def test_commit_false_accumulates_one_step(reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    run.log({"loss": 0.5}, commit=False)
    run.log({"acc": 0.8})
    run.log({"loss": 0.4})
    rows = run.history().to_records()
    assert [r["_step"] for r in rows] == [0, 1]
    assert rows[0]["loss"] == 0.5 and rows[0]["acc"] == 0.8
    assert rows[1]["loss"] == 0.4 and rows[1]["acc"] is None
    run.finish()


def test_non_finite_and_numpy_like_values(api: Any, reg_root: str) -> None:
    class Scalar:  # what numpy and torch scalars look like
        def __init__(self, v: float) -> None:
            self.v = v

        def item(self) -> float:
            return self.v

    run = nbr.init(project="p", root=reg_root)
    run.log({"a": Scalar(0.25), "b": float("nan"), "c": float("inf")})
    run.finish()
    row = api.run(run.id).history().to_records()[0]
    assert row["a"] == 0.25 and row["b"] is None and row["c"] == float("inf")


def test_log_takes_a_dict(reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    with pytest.raises(nbr.InvalidSpecError, match="dict"):
        run.log([1, 2])  # type: ignore[arg-type]
    run.finish()


# -- summary ---------------------------------------------------------------------------------------
def test_summary_is_last_value_unless_overridden(api: Any, reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    for acc in (0.5, 0.9, 0.7):
        run.log({"acc": acc, "loss": 1 - acc})
    run.set_summary(acc=0.9)  # the best, not the last
    run.log({"acc": 0.6, "loss": 0.4})
    run.finish()
    got = api.run(run.id)
    assert got.summary == {"acc": 0.9, "loss": 0.4}


# -- states --------------------------------------------------------------------------------------
def test_finish_with_nonzero_exit_code_is_failed(api: Any, reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    run.finish(exit_code=1)
    got = api.run(run.id)
    assert got.state == "failed"
    assert got.info["exit_code"] == 1
    with pytest.raises(nbr.InvalidSpecError, match="failed"):
        got.log({"x": 1})


def test_context_manager_marks_failed_on_exception(api: Any, reg_root: str) -> None:
    with pytest.raises(ZeroDivisionError):
        with nbr.init(project="p", root=reg_root) as run:
            run.log({"x": 1})
            _ = 1 / 0
    assert api.run(run.id).state == "failed"
    with nbr.init(project="p", root=reg_root) as ok:
        ok.log({"x": 1})
    assert api.run(ok.id).state == "finished"
    assert api.run(ok.id).history().to_records()[0]["x"] == 1


def test_killed_process_leaves_a_crashed_run(api: Any, reg_root: str) -> None:
    r = run_child("""
        import os, sys, nb_registry as nbr
        run = nbr.init(project="p", root=sys.argv[1], job_type="train", config={"lr": 0.1})
        for i in range(10):
            run.log({"loss": 1.0 / (i + 1)})
        print(run.id, flush=True)
        os.kill(os.getpid(), 9)
    """, reg_root)
    assert r.returncode == -9, r.stderr
    run_id = r.stdout.strip()
    got = api.run(run_id)
    assert got.state == "crashed"
    assert api.run(f"p/{run_id}").state == "crashed"
    assert got.config == {"lr": 0.1}
    assert got.info["ended_at"] is None
    table = api.runs("p", filters={"state": "crashed"})
    assert [row["id"] for row in table] == [run_id]


def test_rows_of_a_run_that_goes_quiet_are_written_and_survive_a_kill(api: Any, reg_root: str) -> None:
    """Rows logged, then nothing for a while: the background thread writes them after FLUSH_SECONDS,
    so another process sees them and a SIGKILL afterwards loses none."""
    r = run_child("""
        import os, sys, time, nb_registry as nbr
        from nb_registry import runs
        runs.FLUSH_SECONDS = 0.3
        run = nbr.init(project="p", root=sys.argv[1])
        for i in range(7):
            run.log({"loss": 1.0 / (i + 1)})
        print(run.id, flush=True)
        time.sleep(2.0)  # quiet: no log() call that could flush
        os.kill(os.getpid(), 9)
    """, reg_root)
    assert r.returncode == -9, r.stderr
    got = api.run(r.stdout.strip())
    assert got.state == "crashed"
    assert [row["loss"] for row in got.history().to_records()] == [1.0 / (i + 1) for i in range(7)]


def test_script_that_never_calls_finish_is_finished_at_exit(api: Any, reg_root: str) -> None:
    r = run_child("""
        import sys, nb_registry as nbr
        run = nbr.init(project="p", root=sys.argv[1])
        for i in range(10):
            run.log({"loss": 1.0 / (i + 1)})
        print(run.id, flush=True)
    """, reg_root)
    assert r.returncode == 0, r.stderr
    got = api.run(r.stdout.strip())
    assert got.state == "finished"
    assert [row["loss"] for row in got.history().to_records()] == [1.0 / (i + 1) for i in range(10)]
    assert got.summary == {"loss": 0.1}


def test_uncaught_exception_at_exit_marks_the_run_failed(api: Any, reg_root: str) -> None:
    r = run_child("""
        import sys, nb_registry as nbr
        run = nbr.init(project="p", root=sys.argv[1])
        run.log({"loss": 1.0})
        print(run.id, flush=True)
        raise RuntimeError("boom")
    """, reg_root)
    assert r.returncode == 1 and "boom" in r.stderr
    got = api.run(r.stdout.strip())
    assert got.state == "failed"
    assert got.history().to_records()[0]["loss"] == 1.0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_exiting_does_not_finish_the_parents_run(api: Any, reg_root: str) -> None:
    r = run_child("""
        import os, sys, json, nb_registry as nbr
        run = nbr.init(project="p", root=sys.argv[1])
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # a normal exit: atexit handlers run in the child
        os.waitpid(pid, 0)
        shard = os.path.join(sys.argv[1], "meta", "runs", "p", run.id + ".json")
        print(json.load(open(shard))["run"]["1"]["state"])
        run.log({"x": 1})
        run.finish()
    """, reg_root)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "running"


def test_running_run_of_a_live_process_is_running(api: Any, reg_root: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time, nb_registry as nbr
        run = nbr.init(project="p", root=sys.argv[1])
        print(run.id, flush=True)
        sys.stdin.readline()
        run.finish()
    """), reg_root], env=child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        run_id = child.stdout.readline().strip()
        assert api.run(run_id).state == "running"
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(timeout=60) == 0
        assert api.run(run_id).state == "finished"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_heartbeat_while_idle_and_not_after_finish(reg_root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs_mod, "HEARTBEAT_SECONDS", 0.1)
    run = nbr.init(project="p", root=reg_root)
    shard = Path(reg_root) / "meta" / "runs" / "p" / f"{run.id}.json"

    def stored() -> dict[str, Any]:
        return json.loads(shard.read_text())["run"]["1"]

    first = stored()["heartbeat_at"]
    deadline = time.monotonic() + 20
    while stored()["heartbeat_at"] == first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored()["heartbeat_at"] > first, "a run that logs nothing still beats"
    assert stored()["state"] == "running"
    run.finish()
    done = stored()
    time.sleep(0.5)
    assert stored() == done, "no beat after finish"
    assert done["state"] == "finished"


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux /proc")
def test_reused_pid_or_zombie_is_not_mistaken_for_the_run(reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    doc = dict(run._doc)
    run.finish()
    doc["state"] = "running"  # as a crash left it: this process's pid and start time
    assert runstate.effective_state(doc) == "running"
    # another process now has that pid (PIDs are reused, quickly after a container restart)
    assert runstate.effective_state(dict(doc, pid_start="1")) == "crashed"
    # a child that exited but was not reaped yet is a zombie: its pid still answers os.kill(pid, 0)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        while runstate.proc_stat(child.pid)[0] != "Z" and time.monotonic() < deadline:  # type: ignore[index]
            time.sleep(0.02)
        os.kill(child.pid, 0)
        assert runstate.effective_state(dict(doc, pid=child.pid, pid_start=None)) == "crashed"
    finally:
        child.wait()
    assert runstate.effective_state(dict(doc, pid=0, pid_start=None)) == "crashed"


def test_stale_run_on_another_host_is_crashed() -> None:
    old = "2020-01-01T00:00:00+00:00"
    doc = {"state": "running", "host": "some-other-host", "pid": 1, "started_at": old, "heartbeat_at": old}
    assert runstate.effective_state(doc) == "crashed"
    fresh = dict(doc, heartbeat_at=nbr_now())
    assert runstate.effective_state(fresh) == "running"


def nbr_now() -> str:
    from nb_registry import envinfo

    return envinfo.now()


# -- lookup -------------------------------------------------------------------------------------
def test_run_lookup_by_id_and_by_project_path(api: Any, reg_root: str) -> None:
    run = nbr.init(project="p", name="my-run", root=reg_root)
    run.log({"x": 1})
    run.finish()
    assert api.run(run.id).name == "my-run"
    assert api.run(f"p/{run.id}").path == f"p/{run.id}"
    with pytest.raises(nbr.NotFoundError):
        api.run("deadbeef")
    with pytest.raises(nbr.NotFoundError, match="other"):
        api.run(f"other/{run.id}")


def test_run_info_is_json_and_has_html(api: Any, reg_root: str) -> None:
    run = nbr.init(project="p", config={"lr": 0.1}, root=reg_root)
    run.log({"acc": 0.5})
    run.finish()
    got = api.run(run.id)
    json.dumps(got.info)
    html = got._repr_html_()
    assert run.id in html and "acc" in html and "finished" in html


# -- values log() refuses, and finish() keeping what was flushed ---------------------------------------
def test_log_refuses_values_that_cannot_be_stored(api: Any, reg_root: str) -> None:
    import datetime as dt

    np = pytest.importorskip("numpy")
    run = nbr.init(project="p", root=reg_root)
    run.log({"loss": 1.0})
    for key, value, words in [("when", dt.date(2026, 1, 2), "datetime.date"), ("obj", object(), "object"),
                              ("vec", np.array([1.0, 2.0]), "shape (2,)"), ("nested", {"a": [1, {2}]}, "set"),
                              ("keys", {1: 2}, "key")]:
        with pytest.raises(nbr.InvalidSpecError, match="numbers") as e:
            run.log({"fine": 1, key: value})
        assert f"run.log: '{key}" in str(e.value)
        assert words in str(e.value)
    with pytest.raises(nbr.InvalidSpecError, match="'best'"):
        run.set_summary(best=dt.datetime(2026, 1, 2))
    assert "best" not in run.summary and "fine" not in run.summary, "a refused call changes nothing"
    run.log({"np32": np.float32(0.5), "np64": np.float64(0.25), "i": np.int64(3), "one": np.array([7.0]),
             "nan": float("nan"), "inf": float("-inf"), "s": "text", "b": True, "none": None,
             "lst": [1, 2.5, "x"], "d": {"p": 0.5, "q": [np.float32(1.5)]}})
    run.set_summary(best=np.float64(0.9))
    run.finish()
    got = api.run(run.id)
    assert got.state == "finished"
    rows = got.history().to_records()
    assert [r["loss"] for r in rows] == [1.0, None]
    assert {k: rows[1][k] for k in ("np32", "np64", "i", "one", "nan", "inf", "s", "b", "none", "lst", "d")} == {
        "np32": 0.5, "np64": 0.25, "i": 3, "one": 7.0, "nan": None, "inf": float("-inf"), "s": "text", "b": True,
        "none": None, "lst": [1, 2.5, "x"], "d": {"p": 0.5, "q": [1.5]}}
    assert got.summary["best"] == 0.9 and "fine" not in rows[1]


def test_finish_keeps_flushed_history_when_the_blob_cannot_be_stored(api: Any, reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    for i in range(5):
        run.log({"x": i})
    run._flush()
    run.log({"x": 5})  # still buffered
    tmp = Path(reg_root) / "blobs" / "tmp"
    if tmp.exists():
        tmp.rmdir()
    tmp.write_text("not a folder: storing any new blob fails")  # a real OS error, even as root
    try:
        with pytest.raises(OSError):
            run.finish()
    finally:
        tmp.unlink()
        tmp.mkdir()
    got = api.run(run.id)
    assert got.state == "finished" and got.info["history"] is None
    assert [r["x"] for r in got.history().to_records()] == [0, 1, 2, 3, 4, 5], "read from the live history file"


@pytest.mark.parametrize("exit_call, code, state", [("sys.exit(3)", 3, "failed"), ("sys.exit(0)", 0, "finished"),
                                                    ("sys.exit()", 0, "finished"), ("sys.exit('bye')", 1, "failed")])
def test_sys_exit_code_is_recorded(api: Any, reg_root: str, exit_call: str, code: int, state: str) -> None:
    r = run_child(f"""
        import sys, nb_registry as nbr
        run = nbr.init(project="p", root=sys.argv[1])
        run.log({{"loss": 0.5}})
        print(run.id, flush=True)
        {exit_call}
    """, reg_root)
    assert r.returncode == code, r.stderr
    got = api.run(r.stdout.strip())
    assert (got.state, got.info["exit_code"]) == (state, code)
    assert got.history().to_records()[0]["loss"] == 0.5
