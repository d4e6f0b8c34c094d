"""Registries written by nb_registry 0.1.0 open without a manual step, read as before, and take new writes.

The fixtures in tests/data were written by 0.1.0 itself (tests/data/make_registry_0_1_0.py, through its public
API): a folder registry with one collection of 300 versions in one file (more than a head holds now), and a
bucket registry whose logs are 0.1.0's time-named parts under a folded base.
"""

from __future__ import annotations

import base64
import gzip
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

import nb_registry as nbr
from nb_registry import Registry
from nb_registry.store.hashing import hash_bytes

DATA = Path(__file__).parent / "data"


@pytest.fixture
def legacy_root(tmp_path: Path) -> str:
    with tarfile.open(DATA / "registry-0.1.0.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    return str(tmp_path / "registry")


def test_a_0_1_0_folder_registry_reads_as_before(legacy_root: str, tmp_path: Path) -> None:
    reg = Registry(legacy_root)
    assert [(c["project"], c["name"], c["type"]) for c in reg.collections()] == [
        ("legacy", "ckpt", "model"), ("legacy", "data", "dataset"), ("legacy", "ensemble", "model")]
    versions = reg.versions("legacy/ckpt")
    assert [v.version for v in versions] == [f"v{i}" for i in range(300)]
    assert reg.artifact("legacy/ckpt:best").version == "v250"
    assert reg.artifact("legacy/ckpt:latest").version == "v299"
    assert [v.version for v in reg.versions("legacy/ckpt", filters={"metadata.step": {"$gte": 298}})] == ["v298", "v299"]
    v0 = reg.artifact("legacy/ckpt:v0")
    assert Path(v0.download(str(tmp_path / "dl"))).joinpath("w.bin").read_text() == "weights 0"
    assert v0.verify() == []
    found = {(a.id, entry) for a, entry in reg.find_by_content(hash_bytes(b"weights 0"))}
    assert found == {("legacy/ckpt:v0", "w.bin"), ("legacy/data:v0", "shared.bin")}
    moves = [(e["alias"], e["to"]) for e in reg.alias_history("legacy/ckpt")]
    assert moves == [("best", n) for n in range(0, 300, 50)]
    api = nbr.Api(root=legacy_root, project="legacy")
    rm = api.registered_model("churn")
    assert rm.aliases == {"staging": 1, "production": 1} and rm.model_card == "# Churn\nlegacy" and rm.tags == ["old"]
    assert [(e["alias"], e["from"], e["to"]) for e in rm.history()] == [("staging", None, 0), ("production", None, 1),
                                                                        ("staging", 0, 1)]
    assert api.artifact("model-registry/churn:staging").id == "legacy/ckpt:v299"
    graph = api.lineage("ensemble:latest")
    assert {n["id"] for n in graph["nodes"]} >= {"artifact:legacy/ensemble:v0", "artifact:legacy/data:v0"}
    (run,) = api.runs("legacy").to_records()
    assert [r["loss"] for r in api.run(run["id"]).history().to_records()] == [1.0, 1 / 101, 1 / 201]
    assert [r["prediction"] for r in api.prediction_log("ckpt:v299").read().to_records()] == [0.5]


def test_a_0_1_0_folder_registry_takes_new_writes_and_gc(legacy_root: str, tmp_path: Path) -> None:
    """The first write seals the 300 versions 0.1.0 kept in one file into chunks; retention works on them, keeping
    what is linked, aliased or depended on (pins for those are derived the first time); the stored automation of
    0.1.0 never runs."""
    marker = tmp_path / "ran"
    shard = Path(legacy_root) / "meta" / "models" / "churn.json"
    data = json.loads(shard.read_text())
    data["automations"]["1"]["command"] = f"touch {marker}"
    shard.write_text(json.dumps(data))
    api = nbr.Api(root=legacy_root, project="legacy")
    with nbr.init(project="legacy", root=legacy_root) as run:
        art = nbr.Artifact("ckpt", type="model", metadata={"step": 300})
        with art.new_file("w.bin") as f:
            f.write("weights 300")
        assert run.log_artifact(art, aliases=["new"]).version == "v300"
    chunks = sorted(p.name for p in (Path(legacy_root) / "meta" / "collections" / "legacy" / "ckpt.chunks").iterdir())
    assert chunks, "the first write sealed the oldest versions into chunks"
    head = json.loads((Path(legacy_root) / "meta" / "collections" / "legacy" / "ckpt.json").read_text())
    assert len(head["versions"]) < 2 * 64
    assert [v.version for v in api.artifact_versions("ckpt")] == [f"v{i}" for i in range(301)]
    assert api.artifact("ckpt:v0").get_path("w.bin").download(str(tmp_path / "v0")).endswith("w.bin")
    api.registered_model("churn").set_alias("production", 0)
    assert not marker.exists()
    report = api.gc(dry_run=False)
    kept = [v.version for v in api.artifact_versions("ckpt")]
    assert kept == ["v250", "v296", "v297", "v298", "v299", "v300"], report["kept"][:3]
    assert api.artifact("data:v0").verify() == [], "content the dataset shares with a removed checkpoint is kept"
    assert api.artifact("model-registry/churn:staging").version == "v299"
    assert not marker.exists()


def test_a_0_1_0_bucket_registry_reads_and_takes_new_writes(s3_bucket: str, s3_options: dict[str, Any], s3fs_fs: Any,
                                                            tmp_path: Path) -> None:
    """0.1.0 kept its bucket logs as time-named parts folded under a header: they read as they are, and new
    appends (numbered parts) follow them in order."""
    with gzip.open(DATA / "bucket-0.1.0.json.gz", "rt") as f:
        objects = json.load(f)
    for key, body in objects.items():
        s3fs_fs.pipe_file(f"{s3_bucket}/{key}", base64.b64decode(body))
    root = f"s3://{s3_bucket}/reg"
    reg = Registry(root, cache_dir=str(tmp_path / "cache"), **s3_options)
    assert [v.version for v in reg.versions("legacy/ckpt")] == [f"v{i}" for i in range(60)]
    assert reg.artifact("legacy/ckpt:best").version == "v50"
    found = {a.id for a, _ in reg.find_by_content(hash_bytes(b"weights 0"))}
    assert found == {"legacy/ckpt:v0", "legacy/data:v0"}, "the content index, from 0.1.0's parts"
    lines, offset = reg.meta.shards.journal_since(0)
    assert lines and all(line.endswith(".json") for line in lines)
    art = nbr.Artifact("ckpt", type="model")
    with art.new_file("w.bin") as f:
        f.write("weights 0")  # the same bytes as v0: deduplicated
    assert reg.log(art, project="legacy").version == "v0"
    art = nbr.Artifact("ckpt", type="model")
    with art.new_file("w.bin") as f:
        f.write("new on the bucket")
    assert reg.log(art, project="legacy").version == "v60"
    assert reg.meta.shards.journal_since(offset)[0][-1] == "collections/legacy/ckpt.json"
    fresh = Registry(root, cache_dir=str(tmp_path / "cache2"), skip_instance_cache=True, **s3_options)
    assert {a.id for a, _ in fresh.find_by_content(hash_bytes(b"new on the bucket"))} == {"legacy/ckpt:v60"}
    assert [r["loss"] for r in fresh.run(fresh.meta.runs("legacy")[0].id).history().to_records()] == [1.0]
