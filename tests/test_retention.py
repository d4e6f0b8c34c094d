"""Retention policies and gc: keep the best checkpoints and everything referenced, free only unneeded blobs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import nb_registry as nbr
from nb_registry import retention

VAL_ACC = [0.50, 0.55, 0.52, 0.60, 0.58, 0.90, 0.61, 0.95, 0.40, 0.45]
# kept: v5, v7 (best two), v1 (alias), v2 (linked), v3 (referenced), v4 (used by a run), v9 (latest)
DOOMED = ["p/ckpt:v0", "p/ckpt:v6", "p/ckpt:v8"]


@pytest.fixture
def api(reg_root: str) -> Any:
    return nbr.Api(root=reg_root, project="p")


def blob_path(root: str, digest: str) -> Path:
    return Path(root) / "blobs" / digest[:2] / digest[2:]


def all_blobs(root: str) -> set[str]:
    out = set()
    for folder, _, files in os.walk(Path(root) / "blobs"):
        name = os.path.basename(folder)
        if len(name) == 2:
            out |= {name + f for f in files}
    return out


@pytest.fixture
def checkpoints(api: Any, reg_root: str, tmp_path: Path) -> dict[str, Any]:
    """10 checkpoints sharing one config file; v1 aliased, v2 linked, v3 referenced, v4 used by a run."""
    shared = tmp_path / "shared" / "config.json"
    shared.parent.mkdir()
    shared.write_text('{"arch": "resnet"}')
    versions = []
    with nbr.init(project="p", job_type="train", root=reg_root) as run:
        for i, acc in enumerate(VAL_ACC):
            run.log({"val_acc": acc})
            w = tmp_path / f"ck{i}" / "weights.bin"
            w.parent.mkdir()
            w.write_bytes(os.urandom(1000 + i))
            art = nbr.Artifact("ckpt", type="checkpoint", metadata={"val_acc": acc, "epoch": i})
            art.add_file(w)
            art.add_file(shared)
            versions.append(run.log_artifact(art))
    api.set_alias("ckpt:v1", "keep-me")
    api.link("ckpt:v2", "resnet")
    with nbr.init(project="p", job_type="package", root=reg_root) as run:
        pkg = nbr.Artifact("package", type="model")
        pkg.add_reference(versions[3].get_entry("weights.bin"), name="weights.bin")
        pkg_art = run.log_artifact(pkg)
    with nbr.init(project="p", job_type="eval", root=reg_root) as run:
        run.use_artifact("ckpt:v4")
    return {"versions": versions, "shared": versions[0].get_entry("config.json").digest, "package": pkg_art,
            "weights": {v.id: v.get_entry("weights.bin").digest for v in versions},
            "manifests": {v.id: v.record.manifest for v in versions}}


def test_policy_plans_only_unprotected_non_best_versions(api: Any, checkpoints: dict[str, Any]) -> None:
    policy = api.set_retention("ckpt", keep_best=2, metric="metadata.val_acc")
    assert policy == {"keep_best": 2, "metric": "metadata.val_acc", "mode": "max", "keep_last": None}
    plan = retention.plan_retention(api.registry)
    assert sorted(v["artifact"] for v in plan) == DOOMED
    why = retention.protected_versions(api.registry)
    assert why["p/ckpt:v1"].startswith("holds alias")
    assert why["p/ckpt:v2"].startswith("linked as")
    assert why["p/ckpt:v3"].startswith("referenced by p/package:v0")
    assert why["p/ckpt:v4"].startswith("used by run")


def test_dry_run_removes_nothing_and_reports(api: Any, reg_root: str, checkpoints: dict[str, Any]) -> None:
    api.set_retention("ckpt", keep_best=2, metric="val_acc")
    blobs_before = all_blobs(reg_root)
    report = api.gc()  # a dry run by default
    assert report["dry_run"] is True
    assert sorted(v["artifact"] for v in report["versions"]) == DOOMED
    assert report["blobs"] == 0, "blobs younger than the grace period are never candidates"
    exact = retention.gc(api.registry, dry_run=True, grace_seconds=0)
    doomed_blobs = {checkpoints["weights"][v] for v in DOOMED} | {checkpoints["manifests"][v] for v in DOOMED}
    assert set(exact["digests"]) == doomed_blobs
    assert exact["bytes"] == sum(blob_path(reg_root, d).stat().st_size for d in doomed_blobs)
    assert all_blobs(reg_root) == blobs_before
    for vid in DOOMED:
        assert api.artifact(vid).id == vid


def test_gc_deletes_doomed_versions_and_frees_only_their_blobs(api: Any, reg_root: str,
                                                               checkpoints: dict[str, Any]) -> None:
    api.set_retention("ckpt", keep_best=2, metric="metadata.val_acc")
    before = all_blobs(reg_root)
    report = retention.gc(api.registry, dry_run=False, grace_seconds=0)
    assert sorted(v["artifact"] for v in report["versions"]) == DOOMED
    freed = {checkpoints["weights"][v] for v in DOOMED} | {checkpoints["manifests"][v] for v in DOOMED}
    assert set(report["digests"]) == freed and report["blobs"] == 6
    assert all_blobs(reg_root) == before - freed
    assert blob_path(reg_root, checkpoints["shared"]).exists(), "a deduplicated blob other versions share survives"
    for vid in DOOMED:
        with pytest.raises(nbr.NotFoundError):
            api.artifact(vid)
    kept = [a.version for a in api.artifact_versions("ckpt")]
    assert kept == ["v1", "v2", "v3", "v4", "v5", "v7", "v9"]
    for art in api.artifact_versions("ckpt"):
        assert art.verify() == []
        assert sorted(os.listdir(art.download())) == ["config.json", "weights.bin"]
    assert checkpoints["package"].verify() == []
    assert api.artifact("ckpt:latest").version == "v9"
    assert api.artifact("ckpt:keep-me").version == "v1"
    assert api.artifact("model-registry/resnet:v0").id == "p/ckpt:v2"
    # the run's metric history (a blob) survives and the lineage index forgot the removed versions
    train = api.run(checkpoints["versions"][0].producer_run)
    assert [r["val_acc"] for r in train.history().to_records()] == VAL_ACC
    down = api.lineage(f"run:{train.path}", "down")
    ids = {n["id"] for n in down["nodes"]}
    assert "artifact:p/ckpt:v5" in ids and "artifact:p/ckpt:v0" not in ids
    # a second gc finds nothing more to do, and new versions keep counting up
    again = retention.gc(api.registry, dry_run=False, grace_seconds=0)
    assert again["versions"] == [] and again["blobs"] == 0


def test_new_versions_after_gc_do_not_reuse_numbers(api: Any, reg_root: str, checkpoints: dict[str, Any],
                                                    tmp_path: Path) -> None:
    api.set_retention("ckpt", keep_best=2, metric="metadata.val_acc")
    retention.gc(api.registry, dry_run=False, grace_seconds=0)
    f = tmp_path / "new.bin"
    f.write_bytes(b"new checkpoint")
    with nbr.init(project="p", root=reg_root) as run:
        art = nbr.Artifact("ckpt", type="checkpoint", metadata={"val_acc": 0.1})
        art.add_file(f)
        assert run.log_artifact(art).version == "v10"


def test_keep_last_and_min_mode(api: Any, checkpoints: dict[str, Any]) -> None:
    api.set_retention("ckpt", keep_last=3)
    assert sorted(v["artifact"] for v in retention.plan_retention(api.registry)) == \
        ["p/ckpt:v0", "p/ckpt:v5", "p/ckpt:v6"]
    api.set_retention("ckpt", keep_best=1, metric="metadata.val_acc", mode="min")  # v8 has the lowest
    assert sorted(v["artifact"] for v in retention.plan_retention(api.registry)) == \
        ["p/ckpt:v0", "p/ckpt:v5", "p/ckpt:v6", "p/ckpt:v7"]
    api.set_retention("ckpt")  # no policy: nothing is removed
    assert retention.plan_retention(api.registry) == []


def test_collections_without_a_policy_are_left_alone(api: Any, reg_root: str, checkpoints: dict[str, Any]) -> None:
    before = all_blobs(reg_root)
    report = retention.gc(api.registry, dry_run=False, grace_seconds=0)
    assert report["versions"] == [] and report["blobs"] == 0
    assert all_blobs(reg_root) == before
    assert len(api.artifact_versions("ckpt")) == 10


def test_unreferenced_blob_is_freed_after_the_grace_period_only(api: Any, reg_root: str,
                                                                 checkpoints: dict[str, Any]) -> None:
    orphan, _ = api.registry.blobs.put_bytes(b"left behind by a writer that died before committing")
    assert retention.gc(api.registry, dry_run=False)["blobs"] == 0
    assert blob_path(reg_root, orphan).exists()
    old = 1_000_000_000
    os.utime(blob_path(reg_root, orphan), (old, old))
    report = retention.gc(api.registry, dry_run=False)
    assert report["digests"] == [orphan]
    assert not blob_path(reg_root, orphan).exists()


def test_policy_errors(api: Any, checkpoints: dict[str, Any]) -> None:
    with pytest.raises(nbr.InvalidSpecError, match="metric"):
        api.set_retention("ckpt", keep_best=2)
    with pytest.raises(nbr.InvalidSpecError, match="mode"):
        api.set_retention("ckpt", keep_best=2, metric="val_acc", mode="best")
    with pytest.raises(nbr.NotFoundError, match="nothing"):
        api.set_retention("nothing", keep_last=1)


def _age_all_blobs(root: str) -> None:
    old = 1_000_000_000
    for folder, _, files in os.walk(Path(root) / "blobs"):
        for f in files:
            os.utime(os.path.join(folder, f), (old, old))


def test_gc_keeps_code_blobs_and_run_histories(api: Any, reg_root: str, tmp_path: Path) -> None:
    """The source a version was logged with (``code``) and a run's history are blobs no manifest lists."""
    with nbr.init(project="p", job_type="train", root=reg_root) as run:
        for i in range(3):
            w = tmp_path / f"w{i}.bin"
            w.write_bytes(os.urandom(100))
            art = nbr.Artifact("cell", type="model", metadata={"acc": 0.1 * i})
            art.add_file(w)
            run.log_artifact(art, code=f"model = train(seed={i})  # cell {i}")
            run.log({"loss": 1.0 / (i + 1)})
    code_of = {f"p/cell:v{i}": api.artifact(f"cell:v{i}").record.code for i in range(3)}
    _age_all_blobs(reg_root)

    assert retention.gc(api.registry, dry_run=True, grace_seconds=0)["blobs"] == 0
    assert retention.gc(api.registry, dry_run=False, grace_seconds=0)["blobs"] == 0
    assert [api.artifact(f"cell:v{i}").code for i in range(3)] == [f"model = train(seed={i})  # cell {i}" for i in range(3)]
    assert [r["loss"] for r in api.run(run.path).history().to_records()] == [1.0, 0.5, 1.0 / 3]

    # a policy dooms v0: its code blob goes with it, the kept versions' code stays; dry run == real run
    api.set_retention("cell", keep_best=1, metric="acc")  # v2 is the best and the latest: v0 and v1 go
    dry = retention.gc(api.registry, dry_run=True, grace_seconds=0)
    real = retention.gc(api.registry, dry_run=False, grace_seconds=0)
    assert sorted(v["artifact"] for v in dry["versions"]) == sorted(v["artifact"] for v in real["versions"]) == \
        ["p/cell:v0", "p/cell:v1"]
    assert sorted(dry["digests"]) == sorted(real["digests"])
    assert {code_of["p/cell:v0"], code_of["p/cell:v1"]} <= set(real["digests"])
    assert code_of["p/cell:v2"] not in real["digests"]
    assert api.artifact("cell:v2").code == "model = train(seed=2)  # cell 2"
    assert api.artifact("cell:v2").verify() == []
    assert len(api.run(run.path).history().to_records()) == 3


def test_retention_metric_must_exist_and_be_a_number(api: Any, checkpoints: dict[str, Any]) -> None:
    with pytest.raises(nbr.QueryError, match="metadata fields that exist: metadata.epoch, metadata.val_acc"):
        api.set_retention("ckpt", keep_best=2, metric="metadata.val_accuracy")
    with pytest.raises(nbr.QueryError, match="metadata.valacc"):
        api.set_retention("ckpt", keep_best=2, metric="valacc")
    with pytest.raises(nbr.InvalidSpecError, match="only used with keep_best"):
        api.set_retention("ckpt", keep_last=2, metric="val_acc")
    assert api.set_retention("ckpt", keep_best=2, metric="epoch")["metric"] == "epoch"


def test_retention_counts(api: Any, checkpoints: dict[str, Any]) -> None:
    for kwargs in ({"keep_best": 0, "metric": "val_acc"}, {"keep_best": -1, "metric": "val_acc"},
                   {"keep_last": -1}, {"keep_last": 1.5}, {"keep_best": True, "metric": "val_acc"}):
        with pytest.raises(nbr.InvalidSpecError, match=">= "):
            api.set_retention("ckpt", **kwargs)
    api.set_retention("ckpt", keep_last=0)  # only the latest, besides the protected versions
    assert sorted(v["artifact"] for v in retention.plan_retention(api.registry)) == \
        ["p/ckpt:v0", "p/ckpt:v5", "p/ckpt:v6", "p/ckpt:v7", "p/ckpt:v8"]


def test_unrankable_metric_values_are_skipped_not_fatal(api: Any, reg_root: str, tmp_path: Path,
                                                        checkpoints: dict[str, Any]) -> None:
    with nbr.init(project="p", job_type="train", root=reg_root) as run:
        for i, acc in enumerate([0.3, "n/a", None, 0.2, float("nan"), 0.1]):
            w = tmp_path / f"odd{i}.bin"
            w.write_bytes(os.urandom(50))
            art = nbr.Artifact("odd", type="checkpoint", metadata={} if acc is None else {"acc": acc})
            art.add_file(w)
            run.log_artifact(art)
    api.set_retention("odd", keep_best=2, metric="acc")
    api.set_retention("ckpt", keep_best=2, metric="val_acc")  # another collection: its gc still runs
    report = retention.gc(api.registry, dry_run=False, grace_seconds=0)
    assert sorted(v["artifact"] for v in report["versions"]) == sorted(
        DOOMED + ["p/odd:v1", "p/odd:v2", "p/odd:v4"])  # v0, v3 best; v5 latest; the unranked are not "best"
    assert {u["artifact"]: u["reason"] for u in report["unranked"]} == {
        "p/odd:v1": "metadata.acc is 'n/a', not a number; not ranked among the best",
        "p/odd:v2": "metadata.acc has no value; not ranked among the best",
        "p/odd:v4": "metadata.acc is nan, not a number; not ranked among the best"}
    assert [a.version for a in api.artifact_versions("odd")] == ["v0", "v3", "v5"]

    with nbr.init(project="p", root=reg_root) as run:  # a metric no version holds as a number
        w = tmp_path / "s.bin"
        w.write_bytes(b"s")
        art = nbr.Artifact("strs", type="checkpoint", metadata={"grade": "good"})
        art.add_file(w)
        run.log_artifact(art)
    with pytest.raises(nbr.InvalidSpecError, match="not a number in any version"):
        api.set_retention("strs", keep_best=1, metric="grade")


def test_a_version_logged_while_gc_runs_keeps_the_blobs_it_reuses(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """gc finds X unused, then (before it deletes) another writer logs a version whose file is X: X stays."""
    root = str(tmp_path / "reg")
    reg = nbr.Registry(root)
    for i, content in enumerate(["X", "Y", "Z"]):
        (tmp_path / f"f{i}").write_text(f"content {content}")
        art = nbr.Artifact("g")
        art.add_file(tmp_path / f"f{i}", name="w.txt")
        reg.log(art, project="p")
    retention.set_retention(reg, "g", keep_last=0, project="p")  # v0 and v1 go: X and Y are garbage
    real_digests = type(reg.blobs).loose_digests

    def digests_then_a_writer(self: Any) -> Any:
        other = nbr.Registry(root)  # another writer, between gc's scan and its deletion
        art = nbr.Artifact("g2")
        art.add_file(tmp_path / "f0", name="copy.txt")  # content X again: deduplicated, no new bytes
        assert other.log(art, project="p").new_bytes == 0  # type: ignore[attr-defined]
        return real_digests(self)

    monkeypatch.setattr(type(reg.blobs), "loose_digests", digests_then_a_writer)
    report = retention.gc(reg, dry_run=False, grace_seconds=0)
    monkeypatch.setattr(type(reg.blobs), "loose_digests", real_digests)
    assert sorted(v["artifact"] for v in report["versions"]) == ["p/g:v0", "p/g:v1"]
    fresh = nbr.Registry(root)
    assert fresh.artifact("p/g2:v0").verify() == []
    out = Path(fresh.artifact("p/g2:v0").download(str(tmp_path / "out")))
    assert (out / "copy.txt").read_text() == "content X"


def test_gc_never_removes_a_temporary_blob_a_writer_may_still_be_writing(api: Any, reg_root: str) -> None:
    """Found by the team simulation: gc with no grace removed another writer's half-copied blob, failing its log.
    Temporary files younger than an hour are left alone whatever the grace; older ones (a killed writer's) go."""
    import time as _time

    from nb_registry.retention import gc

    with nbr.init(project="p", root=reg_root) as run:
        art = nbr.Artifact("m", type="model")
        with art.new_file("w.txt") as f:
            f.write("w")
        run.log_artifact(art)
    tmp = Path(reg_root) / "blobs" / "tmp"
    young, old = tmp / "young.part", tmp / "old.part"
    young.write_bytes(b"a writer is still copying this")
    old.write_bytes(b"a killed writer left this")
    past = _time.time() - 7200
    os.utime(old, (past, past))
    report = gc(api.registry, dry_run=False, grace_seconds=0)
    assert young.exists() and not old.exists()
    assert report["partial_files"] == 1
