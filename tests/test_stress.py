"""The team simulation: real processes, each with its own cache folder as a separate machine would have, doing
mixed operations on one registry (log, alias move, link, registered-model alias move, a run with metrics, retention
and gc with no grace period), then again with random SIGKILLs. Afterwards nothing is lost: version numbers are
unique and without gaps, every alias and link is on a live version, every alias history replays to the current
aliases, every live version verifies (gc never freed a blob a version needs) and every finished run's history
reads back. Bounded here (seconds); by hand: NB_REGISTRY_STRESS=16 NB_REGISTRY_STRESS_OPS=50."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nb_registry import NotFoundError, Registry
from nb_registry.store.records import replay_aliases

HERE = Path(__file__).resolve().parent
WORKER = str(HERE / "stress_worker.py")
PROCS = int(os.environ.get("NB_REGISTRY_STRESS", "4"))
OPS = int(os.environ.get("NB_REGISTRY_STRESS_OPS", "12"))


def _backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, dict[str, Any]]:
    """(root, blobs or '-', storage options) of a fresh registry."""
    if kind == "folder":
        return str(tmp_path / "reg"), "-", {}
    bucket = request.getfixturevalue("s3_bucket")
    opts = request.getfixturevalue("s3_options")
    if kind == "bucket":
        return f"s3://{bucket}/reg", "-", opts
    return request.getfixturevalue("pg_url"), f"s3://{bucket}/blobs", opts


def _start(root: str, blobs: str, opts: dict[str, Any], tmp_path: Path, seeds: range, ops: int) -> list[Any]:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent), NB_REGISTRY_GC_STALE="3")  # a killed gc is taken over after 3 s
    return [subprocess.Popen([sys.executable, WORKER, root, blobs, str(tmp_path / f"report-{s}.jsonl"), str(s), str(ops),
                              str(tmp_path / f"cache-{s}"), json.dumps(opts)], env=env, stderr=subprocess.PIPE, text=True)
            for s in seeds]


def _reports(tmp_path: Path) -> list[dict[str, Any]]:
    out = []
    for path in tmp_path.glob("report-*.jsonl"):
        for line in path.read_text().splitlines():
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # a line cut by a SIGKILL
    return out


def check(reg: Registry, reports: list[dict[str, Any]], strict: bool) -> dict[str, int]:
    """The invariants; ``strict`` (no process was killed): every version any writer created is accounted for."""
    created = {r["id"]: r["digest"] for r in reports if r.get("op") == "log" and r.get("created")}
    removed = {v for r in reports if r.get("op") == "gc" for v in r.get("removed", [])}
    errors = [r for r in reports if "error" in r]
    assert not errors, errors[:5]
    live = 0
    for info in reg.meta.collections():
        coll = reg.meta.collection(info.project, info.name)
        versions = reg.meta.versions(info.project, info.name)
        numbers = [v.version for v in versions]
        assert numbers == sorted(set(numbers)), f"{info.name}: a number twice"
        assert coll.latest == max(numbers)
        for alias, n in coll.aliases.items():
            assert n in numbers, f"{info.name}: alias {alias} on v{n}, which is gone"
        replay = replay_aliases(reg.meta.alias_history(info.project, info.name))
        assert replay == dict(coll.aliases), f"{info.name}: the history does not replay to the aliases"
        for v in versions:
            assert reg.artifact(v.id).verify() == [], f"{v.id} lost a blob"
            live += 1
            if v.id in created:
                assert created[v.id] == v.digest, f"{v.id} holds other content than its writer logged"
        assigned = {f"{info.project}/{info.name}:v{n}" for n in range(coll.latest + 1)}
        audit = {r.id for r in reg.meta.removed_versions(info.project, info.name)}
        assert assigned == {v.id for v in versions} | audit, f"{info.name}: a version vanished: {sorted(assigned - {v.id for v in versions} - audit)[:5]}"
        assert removed & assigned <= audit, f"{info.name}: a removal a gc reported is not in the audit"
        if strict:
            ours = {vid for vid in created if vid.startswith(f"{info.project}/{info.name}:")}
            assert ours == assigned, f"{info.name}: numbers with gaps or twice: {sorted(assigned ^ ours)[:5]}"
    for model in reg.meta.models():
        links = {v.version: v.artifact for v in reg.meta.model_versions(model.name)}
        for vid in links.values():
            try:
                reg.artifact(vid)
            except NotFoundError:
                raise AssertionError(f"{model.name} links {vid}, which is gone") from None
        for alias, n in model.aliases.items():
            assert n in links, f"{model.name}: alias {alias} on v{n}, which is not registered"
        assert replay_aliases(reg.meta.model_history(model.name)) == dict(model.aliases)
    finished = [r for r in reg.meta.runs() if r.state == "finished"]
    for run in finished:
        rows = reg.run(run.path).history().to_records()
        assert len(rows) == 20 and rows[-1]["loss"] == 1 / 20, f"run {run.path} lost its history"
    return {"versions": live, "runs": len(finished), "models": len(reg.meta.models())}


@pytest.mark.parametrize("kind", ["folder", "bucket", "postgres"])
def test_team_simulation(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    root, blobs, opts = _backend(kind, request, tmp_path)
    procs = _start(root, blobs, opts, tmp_path, range(PROCS), OPS)
    for p in procs:
        _, err = p.communicate(timeout=900)
        assert p.returncode == 0, err[-3000:]
    reg = Registry(root, cache_dir=str(tmp_path / "check"), blobs=None if blobs == "-" else blobs, **opts)
    counts = check(reg, _reports(tmp_path), strict=True)
    assert counts["versions"] > 0 and counts["runs"] > 0

    rng = random.Random(7)  # the same again, some writers killed at random moments
    procs = _start(root, blobs, opts, tmp_path, range(100, 100 + PROCS), OPS * 2)
    time.sleep(1.5)
    victims = rng.sample(procs, max(1, PROCS // 2))
    for p in victims:
        time.sleep(rng.random())
        p.send_signal(signal.SIGKILL)
    for p in procs:
        _, err = p.communicate(timeout=900)
        assert p in victims or p.returncode == 0, err[-3000:]
    reg = Registry(root, cache_dir=str(tmp_path / "check2"), blobs=None if blobs == "-" else blobs, **opts)
    check(reg, _reports(tmp_path), strict=False)
    from nb_registry.artifact import Artifact

    art = Artifact("alpha", type="model")  # and the registry takes writes as before: no lock left behind
    with art.new_file("w.txt") as f:
        f.write("after the kills")
    assert reg.log(art, project="p").version.startswith("v")
