"""A preemptible training job, as W&B users write it: ``init(id=..., resume="allow")``, killed with SIGKILL in the
middle of training and started again, continues the same run from the step after the last one it stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nb_registry as wandb

JOB = """
import sys, time
import nb_registry as wandb
import nb_registry.runs

nb_registry.runs.FLUSH_SECONDS = 1.0  # rows reach the store within a second (the default is 10 s)

run = wandb.init(project="preempt", id="job-1", resume=sys.argv[1], config={"lr": 0.1})
start = run.step
for step in range(start, 10):
    wandb.log({"loss": 1.0 / (step + 1), "epoch": step})
    if step == 4 and start == 0:
        open(sys.argv[2], "w").write("at 4")
        time.sleep(60)  # killed here
print(start)
wandb.finish()
"""


def _job(tmp_path: Path, resume: str, marker: Path) -> subprocess.Popen[str]:
    script = tmp_path / "job.py"
    script.write_text(JOB)
    env = dict(os.environ, NB_REGISTRY_ROOT=str(tmp_path / "registry"))
    return subprocess.Popen([sys.executable, str(script), resume, str(marker)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_killed_job_resumes_its_run(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    first = _job(tmp_path, "allow", marker)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the job never reached step 4"
        time.sleep(0.05)
    api = wandb.Api(root=str(tmp_path / "registry"))
    while len(api.run("preempt/job-1").history()) < 5:  # the heartbeat thread writes the buffered rows
        assert time.monotonic() < deadline, "the rows never reached the store"
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert api.run("preempt/job-1").state == "crashed"

    second = _job(tmp_path, "must", marker)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert out.strip() == "5"  # continued at the step after the last one stored
    run = api.run("preempt/job-1")
    assert run.state == "finished" and run.resumed and run.config == {"lr": 0.1}
    rows = list(run.history())
    steps = [r["_step"] for r in rows]
    assert steps == list(range(10)), steps
    assert [r["epoch"] for r in rows] == list(range(10))
    assert len([r for r in api.runs("preempt")]) == 1


def test_resume_rules(tmp_path: Path) -> None:
    root = str(tmp_path / "registry")
    with pytest.raises(wandb.NotFoundError, match="no run preempt/nope"):
        wandb.init(project="preempt", id="nope", resume="must", root=root)
    run = wandb.init(project="preempt", id="r1", root=root, config={"a": 1})
    wandb.log({"x": 1})
    wandb.log({"x": 2})
    with pytest.raises(wandb.AlreadyExistsError, match="still running"):
        from nb_registry.runs import start_run

        start_run(wandb.Api(root=root).registry, "preempt", run_id="r1", resume="allow")
    run.finish()
    with pytest.raises(wandb.AlreadyExistsError, match="resume='allow'"):
        wandb.init(project="preempt", id="r1", root=root)
    again = wandb.init(project="preempt", id="r1", resume="allow", root=root, config={"b": 2})
    assert again.step == 2 and again.config == {"a": 1, "b": 2}
    wandb.log({"x": 3})
    wandb.finish()
    hist = wandb.Api(root=root).run("preempt/r1").history()
    assert [r["x"] for r in hist] == [1, 2, 3] and [r["_step"] for r in hist] == [0, 1, 2]
    fresh = wandb.init(project="preempt", id="r2", resume="allow", root=root)  # allow: a new run under that id
    assert fresh.id == "r2" and not fresh.resumed
    wandb.finish()
    assert json.loads(json.dumps(wandb.Api(root=root).run("preempt/r1").info["resumed_at"]))
