"""``nb-registry migrate SRC DST``: a registry moves between backends whole (numbers, digests, aliases with their
history, runs with metric history, registered models, lineage), again and again without harm, and after a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import nb_registry as nbr
from nb_registry import Registry
from nb_registry.store.hashing import hash_bytes

REPO = str(Path(__file__).resolve().parents[1])


def build(root: str, tmp_path: Path) -> None:
    """Two projects; one collection with more versions than a head holds and gaps left by retention; a
    dependency; runs with history; a registered model with links, moves and an event; a prediction log."""
    with nbr.init(project="p", job_type="train", config={"lr": 0.1}, root=root) as run:
        for i in range(300):
            art = nbr.Artifact("ckpt", type="model", metadata={"step": i})
            with art.new_file("w.txt") as f:
                f.write(f"weights {i}")
            run.log_artifact(art, aliases=["best"] if i % 100 == 7 else [])
            if i % 60 == 0:
                run.log({"loss": 1 / (i + 1)})
        data = nbr.Artifact("data", type="dataset")
        with data.new_file("d.csv") as f:
            f.write("weights 0")  # shares its content with ckpt:v0
        data = run.log_artifact(data)
        ens = nbr.Artifact("ens", type="model")
        ens.add_reference(data)
        with ens.new_file("cfg.json") as f:
            f.write("{}")
        run.log_artifact(ens, aliases=["production"])
    with nbr.init(project="q", job_type="eval", root=root) as run:
        run.use_artifact("p/ckpt:best")
        run.log({"acc": 0.9})
    api = nbr.Api(root=root, project="p")
    api.link("ckpt:v250", "churn", aliases=["staging"])
    api.link("ckpt:v299", "churn", aliases=["production"])
    api.registered_model("churn").set_alias("staging", 1)
    api.set_retention("ckpt", keep_last=20)
    api.gc(dry_run=False)
    api.prediction_log("ckpt:v299").append(0.7, inputs={"x": 1})


def snapshot(reg: Registry) -> dict[str, Any]:
    """Everything a migration must keep, in a comparable form."""
    out: dict[str, Any] = {}
    for info in reg.meta.collections():
        key = f"{info.project}/{info.name}"
        out[key] = {"versions": [(v.version, v.digest, v.aliases, dict(v.metadata), v.run, v.deps)
                                 for v in reg.meta.versions(info.project, info.name)],
                    "history": [e.to_dict() for e in reg.meta.alias_history(info.project, info.name)],
                    "retention": reg.meta.collection(info.project, info.name).retention}
    out["runs"] = sorted((r.path, r.state, r.inputs, dict(r.summary), reg.run(r.path).history().to_records() and
                          len(reg.run(r.path).history())) for r in reg.meta.runs())
    out["models"] = [(m.name, dict(m.aliases), [(v.version, v.artifact) for v in reg.meta.model_versions(m.name)],
                      [e.to_dict() for e in reg.meta.model_history(m.name)], len(reg.meta.events()))
                     for m in reg.meta.models()]
    out["predictions"] = reg.meta.predictions("p/ckpt:v299")
    return out


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb_registry", *args], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=REPO, **(env or {})))


@pytest.fixture
def source(tmp_path: Path) -> str:
    root = str(tmp_path / "src")
    build(root, tmp_path)
    return root


def test_folder_to_bucket_and_back(source: str, tmp_path: Path, s3_bucket: str, s3_options: dict[str, Any]) -> None:
    before = snapshot(Registry(source))
    assert [v[0] for v in before["p/ckpt"]["versions"]][:3] == [207, 250, 280], "retention left gaps (aliased, linked kept)"
    bucket = f"s3://{s3_bucket}/team"
    env = {"FSSPEC_S3_ENDPOINT_URL": s3_options["client_kwargs"]["endpoint_url"]}
    out = cli("migrate", source, bucket, "--json", env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["collections"] == 3 and report["models"] == 1 and report["check"]["problems"] == []
    remote = Registry(bucket, cache_dir=str(tmp_path / "c1"), **s3_options)
    assert snapshot(remote) == before
    assert Path(remote.artifact("p/ckpt:best").download(str(tmp_path / "dl"))).joinpath("w.txt").read_text() == "weights 207"
    assert {a.id for a, _ in remote.find_by_content(hash_bytes(b"weights 0"))} == {"p/data:v0"}
    graph = nbr.Api(root=bucket, project="p", **s3_options).lineage("p/ckpt:best", direction="down")
    assert any(n["id"].startswith("run:q/") for n in graph["nodes"]), "the run that used it moved too"
    again = cli("migrate", source, bucket, "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert (json.loads(again.stdout)["collections"], json.loads(again.stdout)["blobs"]) == (0, 0), "nothing twice"
    with nbr.init(project="p", root=bucket) as run:  # the copy takes new versions with the next numbers
        art = nbr.Artifact("ckpt", type="model")
        with art.new_file("w.txt") as f:
            f.write("weights 300")
        assert run.log_artifact(art).version == "v300"
    back = str(tmp_path / "back")
    out = cli("migrate", bucket, back, env=env)
    assert out.returncode == 0, out.stderr
    assert "identical" in out.stdout
    after = snapshot(Registry(back))
    assert after["p/ckpt"]["versions"][-1][0] == 300
    after["p/ckpt"]["versions"] = after["p/ckpt"]["versions"][:-1]
    before["p/ckpt"]["versions"][-1] = (*before["p/ckpt"]["versions"][-1][:2], (), *before["p/ckpt"]["versions"][-1][3:])
    assert after["p/ckpt"]["versions"] == before["p/ckpt"]["versions"]


DIES = textwrap.dedent("""
    import os, sys
    from nb_registry import cli
    from nb_registry.store.tiny import TinyDBStore
    real, calls = TinyDBStore.import_collection, []

    def import_then_die(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            os._exit(9)  # killed between two collections
        return real(self, *args, **kwargs)

    TinyDBStore.import_collection = import_then_die
    sys.exit(cli.main(sys.argv[1:]))
""")


def test_a_killed_migration_carries_on_when_run_again(source: str, tmp_path: Path) -> None:
    dst = str(tmp_path / "dst")
    killed = subprocess.run([sys.executable, "-c", DIES, "migrate", source, dst], capture_output=True, text=True,
                            timeout=600, env=dict(os.environ, PYTHONPATH=REPO))
    assert killed.returncode == 9, killed.stderr
    half = Registry(dst)
    assert [c["name"] for c in half.collections()] == ["ckpt"], "one collection whole, the next not at all"
    assert half.artifact("p/ckpt:best").verify() == []
    out = cli("migrate", source, dst, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["collections"] == 2
    assert snapshot(Registry(dst)) == snapshot(Registry(source))


def test_migrating_onto_a_different_registry_is_refused(source: str, tmp_path: Path) -> None:
    dst = str(tmp_path / "other")
    with nbr.init(project="p", root=dst) as run:
        art = nbr.Artifact("ckpt", type="model")
        with art.new_file("w.txt") as f:
            f.write("something else")
        run.log_artifact(art)
    out = cli("migrate", source, dst)
    assert out.returncode == 2 and "already exists" in out.stderr and "p/ckpt" in out.stderr
    assert [v.version for v in Registry(dst).versions("p/ckpt")] == ["v0"], "nothing of it was touched"


def test_folder_to_postgres_with_blobs_on_a_bucket_and_back(source: str, tmp_path: Path, pg_url: str, s3_bucket: str,
                                                            s3_options: dict[str, Any]) -> None:
    """The team engine: metadata in PostgreSQL, blobs in a bucket; the CLI works on it unchanged, and it moves back."""
    before = snapshot(Registry(source))
    env = {"FSSPEC_S3_ENDPOINT_URL": s3_options["client_kwargs"]["endpoint_url"]}
    blobs = f"s3://{s3_bucket}/blobs"
    out = cli("migrate", source, pg_url, "--blobs", blobs, "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["check"]["problems"] == []
    team = Registry(pg_url, cache_dir=str(tmp_path / "c"), blobs=blobs, **s3_options)
    assert snapshot(team) == before
    for args in (["ls", "--project", "p"], ["show", "p/ckpt:best"], ["registry", "ls"], ["lineage", "p/ens:latest"],
                 ["alias", "p/ckpt:v299", "candidate"], ["download", "p/ckpt:candidate", "-o", str(tmp_path / "dl")]):
        done = cli("--root", pg_url, "--blobs", blobs, *args, env=env)
        assert done.returncode == 0, (args, done.stderr)
    assert (tmp_path / "dl" / "w.txt").read_text() == "weights 299"
    assert "password" not in out.stderr and pg_url.split("@")[0].split(":")[-1] not in out.stdout + out.stderr
    missing = cli("--root", pg_url, "ls", env=env)
    assert missing.returncode == 2 and "--blobs" in missing.stderr, "a PostgreSQL root without blobs says how to set them"
    back = str(tmp_path / "back")
    out = cli("migrate", pg_url, back, "--src-blobs", blobs, env=env)
    assert out.returncode == 0, out.stderr
    after = snapshot(Registry(back))
    moved = [v for v in after["p/ckpt"]["versions"] if v[0] == 299][0]
    assert "candidate" in moved[2]
    after["p/ckpt"]["versions"] = [v if v[0] != 299 else (v[0], v[1], tuple(a for a in v[2] if a != "candidate"), *v[3:])
                                   for v in after["p/ckpt"]["versions"]]
    after["p/ckpt"]["history"] = [h for h in after["p/ckpt"]["history"] if h["alias"] != "candidate"]
    assert after == before
