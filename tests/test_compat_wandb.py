"""W&B-style code, written from W&B's public documentation (quickstarts, the artifact and registry guides, the
SDK reference), run with only the import changed: ``import nb_registry as wandb``. Each test is one thing W&B
code relies on (issue 11); every one failed before the compatibility work."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

import nb_registry as wandb


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A script's world: a working folder and a registry root from the environment, as a user would set it."""
    monkeypatch.setenv("NB_REGISTRY_ROOT", str(tmp_path / "registry"))
    for var in ("NB_REGISTRY_MODE", "WANDB_MODE"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


def make(path: str, data: bytes | str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


# -- 1. the module-level API ------------------------------------------------------------------------------
def test_quickstart_module_level_api() -> None:
    wandb.init(entity="my-team", project="my-awesome-project", name="first", notes="try", tags=["baseline"],
               group="exp-1", config={"learning_rate": 0.02, "architecture": "CNN", "epochs": 3})
    assert wandb.run is not None and wandb.run.entity == "my-team" and wandb.run.group == "exp-1"
    assert wandb.config.learning_rate == 0.02 and wandb.config["architecture"] == "CNN"
    wandb.config.update({"batch_size": 16})
    wandb.config.dropout = 0.1
    with pytest.raises(ValueError, match="allow_val_change"):
        wandb.config.update({"epochs": 5})
    wandb.config.update({"epochs": 5}, allow_val_change=True)
    for epoch in range(wandb.config.epochs):
        wandb.log({"acc": 0.5 + epoch / 10, "loss": 1 / (epoch + 1)})
    wandb.summary["best_acc"] = 0.97
    run = wandb.run
    wandb.finish()
    assert wandb.run is None
    stored = wandb.Api().run(run.path)
    assert stored.config == {"learning_rate": 0.02, "architecture": "CNN", "epochs": 5, "batch_size": 16, "dropout": 0.1}
    assert stored.summary["best_acc"] == 0.97 and stored.summary["acc"] == pytest.approx(0.9)
    assert len(stored.history()) == 5 and stored.state == "finished"


def test_module_level_calls_before_init_say_to_call_init() -> None:
    with pytest.raises(wandb.RegistryError, match=r"nbr.init\(\)"):
        wandb.log({"acc": 1})
    with pytest.raises(wandb.RegistryError, match=r"nbr.init\(\)"):
        wandb.config.lr
    with pytest.raises(wandb.RegistryError, match=r"nbr.init\(\)"):
        wandb.use_artifact("x:latest")


def test_module_level_artifacts_and_model_helpers() -> None:
    make("model.pt", b"weights" * 100)
    with wandb.init(project="models", job_type="train"):
        art = wandb.Artifact("clf", type="model")
        art.add_file("model.pt")
        logged = wandb.log_artifact(art, aliases=["best"])
        wandb.link_artifact(logged, "model-registry/Model Registry Tutorial", aliases=["staging"])
        model = wandb.log_model("model.pt", name="trained-clf", aliases=["candidate"])
        assert model.type == "model" and model.aliases == ["latest", "candidate"]
        default = wandb.log_model("model.pt")
        assert default.collection == f"run-{wandb.run.id}-model.pt"
        linked = wandb.link_model("model.pt", "Industrial ViT", aliases=["production"])
        assert linked.linked_as == "model-registry/Industrial ViT:v0"
    with wandb.init(project="models", job_type="eval"):
        path = wandb.use_model("trained-clf:candidate")
        assert os.path.basename(path) == "model.pt" and Path(path).read_bytes() == b"weights" * 100
        assert wandb.use_artifact("Model Registry Tutorial:staging").id == logged.id
        assert wandb.use_model("models:/Industrial ViT@production").endswith("model.pt")


def test_disabled_mode_is_a_cheap_no_op(tmp_path: Path) -> None:
    run = wandb.init(project="p", mode="disabled", config={"lr": 0.1})
    assert wandb.run is run and wandb.config.lr == 0.1
    wandb.log({"loss": 0.3})
    run.summary["acc"] = 0.9
    art = wandb.Artifact("m", type="model")
    make("w.bin", b"x")
    art.add_file("w.bin")
    assert run.log_artifact(art) is art and art.state == "PENDING"
    run.link_artifact(art, "registered")  # nothing, as in W&B
    wandb.finish()
    assert not (tmp_path / "registry").exists()  # no registry was made or opened
    os.environ["WANDB_MODE"] = "disabled"
    try:
        assert type(wandb.init(project="p")).__name__ == "DisabledRun"
        wandb.finish()
    finally:
        del os.environ["WANDB_MODE"]


def test_reinit_and_save_code() -> None:
    first = wandb.init(project="p", save_code=True)
    assert wandb.init(project="p", reinit="return_previous") is first
    second = wandb.init(project="p", reinit="create_new")
    assert first.live and second.live and wandb.run is second
    third = wandb.init(project="p")
    assert not second.live and third.live
    wandb.finish()
    first.finish()


# -- 2. names as W&B allows them ------------------------------------------------------------------------
def test_registered_model_names_with_spaces_resolve_everywhere() -> None:
    make("m.bin", b"m")
    with wandb.init(project="tutorial") as run:
        art = wandb.Artifact("mnist-model", type="model")
        art.add_file("m.bin")
        run.log_artifact(art)
        run.link_artifact(art, "model-registry/My Registered Model", aliases=["production"])
    api = wandb.Api()
    assert api.registered_model("My Registered Model").name == "My Registered Model"
    for spec in ("model-registry/My Registered Model:production", "My Registered Model:production",
                 "models:/My Registered Model@production", "models:/My Registered Model/1",
                 "my-entity/model-registry/My Registered Model:v0", "wandb-registry-model/My Registered Model:latest"):
        assert api.artifact(spec).id == "tutorial/mnist-model:v0", spec
    with pytest.raises(ValueError, match="collection|name"):
        wandb.Artifact("My Artifact", type="model")  # collection names stay strict, as W&B's


# -- 3. specs as W&B code reads them --------------------------------------------------------------------
def test_a_linked_name_resolves_to_the_registered_model() -> None:
    make("m1.json", "{}")
    with wandb.init(project="ensemble") as run:
        m1 = wandb.Artifact("m1", type="model")
        m1.add_file("m1.json")
        run.log_artifact(m1)
        run.link_artifact(m1, "ensemble_m1")
        assert run.use_artifact("ensemble_m1:latest").id == "ensemble/m1:v0"


def test_a_bare_spec_without_a_project_finds_the_one_project_that_has_it() -> None:
    make("seq.bin", b"s")
    with wandb.init(project="nlp") as run:
        art = wandb.Artifact("sequence_models", type="model")
        art.add_file("seq.bin")
        run.log_artifact(art, aliases=["my_model"])
    assert wandb.Api().artifact("sequence_models:my_model").id == "nlp/sequence_models:v0"
    assert [a.id for a in wandb.Api().artifact_versions("model", "sequence_models")] == ["nlp/sequence_models:v0"]
    assert [a.version for a in wandb.Api().artifacts("model", "nlp/sequence_models")] == ["v0"]
    with wandb.init(project="speech") as run:
        art = wandb.Artifact("sequence_models", type="model")
        art.add_file("seq.bin")
        run.log_artifact(art, aliases=["my_model"])
    with pytest.raises(wandb.NotFoundError, match="nlp/sequence_models:my_model.*speech/sequence_models:my_model"):
        wandb.Api().artifact("sequence_models:my_model")
    with pytest.raises(wandb.NotFoundError, match="has no artifacts|no artifact named"):
        wandb.Api(project="vision").artifact("sequence_models:my_model")  # a chosen project is not searched around


# -- 4. downloads as W&B does them -----------------------------------------------------------------------
def test_download_fetches_references_and_parts(tmp_path: Path) -> None:
    data = tmp_path / "shared data=1!"
    make(str(data / "train.csv"), "a,b\n1,2\n")
    make(str(data / "images" / "0.png"), b"png")
    with wandb.init(project="data") as run:
        ds = wandb.Artifact("ds", type="dataset")
        ds.add_reference(data.as_uri())
        ds.add_file(make("README.md", "# data"))
        logged = run.log_artifact(ds)
        ens = wandb.Artifact("uses-ds", type="dataset")
        ens.add_reference(logged)
        top = run.log_artifact(ens)
    out = Path(wandb.Api().artifact("data/ds:latest").download(str(tmp_path / "out")))
    assert (out / "train.csv").read_text() == "a,b\n1,2\n" and (out / "images" / "0.png").read_bytes() == b"png"
    part = Path(logged.download(str(tmp_path / "part"), path_prefix="images/"))
    assert sorted(p.name for p in part.rglob("*") if p.is_file()) == ["0.png"]
    assert not (Path(top.download(str(tmp_path / "plain"))) / "ds").exists()
    assert (Path(top.download(str(tmp_path / "deep"), refs=True)) / "ds" / "train.csv").exists()
    (data / "train.csv").write_text("changed")
    with pytest.raises(wandb.IntegrityError, match="changed"):
        logged.download(str(tmp_path / "again"))


# -- 5. drafts edited as in W&B --------------------------------------------------------------------------
def test_drafts_as_in_w_and_b(tmp_path: Path) -> None:
    make("ckpt/a.bin", b"a")
    make("ckpt/sub/b.bin", b"b")
    make("other/a.bin", b"A")
    art = wandb.Artifact("ckpt", type="model")
    art.add_file("ckpt/a.bin")
    art.add_file("ckpt/a.bin")  # the same unchanged file twice: one entry
    threads = [threading.Thread(target=art.add_file, args=("ckpt/a.bin",)) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    with pytest.raises(ValueError, match="overwrite=True"):
        art.add_file("other/a.bin", name="a.bin")
    art.add_file("other/a.bin", name="a.bin", overwrite=True)
    with pytest.raises(ValueError, match="merge=True"):
        art.add_dir("ckpt")  # its a.bin differs from the one added last
    art.add_dir("ckpt", merge=True)
    art.add_dir("ckpt")  # unchanged now: nothing to merge
    assert sorted(art.pending_entries()) == ["a.bin", "sub/b.bin"]
    art.remove("sub")  # a folder
    entry = art.add_file("other/a.bin", name="copy.bin")
    art.remove(entry)  # an entry
    art.add_file("other/a.bin", name="x/y.bin")
    art.remove(Path("x/y.bin"))  # a Path
    with pytest.raises(FileNotFoundError, match="no entry"):
        art.remove("nope")
    with pytest.raises(FileNotFoundError):
        art.add_file("missing.bin")
    with pytest.raises(AttributeError):
        art.digest  # a draft has none yet, as W&B's ArtifactNotLoggedError
    art.save(project="drafts")  # outside a run: logged on a run of job type auto
    assert art.state == "COMMITTED" and art.id == "drafts/ckpt:v0" and art.logged_by().job_type == "auto"
    with pytest.raises(ValueError, match="new_draft"):
        art.add_file("ckpt/a.bin", name="late.bin")
    draft = art.new_draft()
    draft.add_file(make("extra.txt", "more"))
    draft.metadata["epoch"] = 2
    with wandb.init(project="drafts") as run:
        used = run.use_artifact(draft)  # a draft is logged first
        assert used.id == "drafts/ckpt:v1" and used.id in run.inputs and used.id not in run.outputs
    assert sorted(e.path for e in used.files()) == ["a.bin", "extra.txt"] and used.metadata == {"epoch": 2}
    assert used.file_count == 2 and used.created_at and used.updated_at and used.entity
    assert used.source_name == "ckpt:v1" and used.source_version == "v1" and used.used_by()[0].id == run.id


def test_version_delete_as_w_and_b_with_our_protections() -> None:
    for i in range(3):
        make("m.bin", f"v{i}")
        with wandb.init(project="p") as run:
            art = wandb.Artifact("m", type="model")
            art.add_file("m.bin")
            run.log_artifact(art, aliases=["best"] if i == 1 else [])
    api = wandb.Api(project="p")
    with pytest.raises(ValueError, match="alias 'best'.*delete_aliases=True"):
        api.artifact("m:v1").delete()
    api.artifact("m:v1").delete(delete_aliases=True)
    api.artifact("m:v2").delete()  # the newest may go: latest moves back
    assert api.artifact("m:latest").version == "v0"
    with wandb.init(project="p") as run:
        run.use_artifact("m:v0")
    with pytest.raises(ValueError, match="used by run"):
        api.artifact("m:v0").delete()


def test_entry_ref_target(tmp_path: Path) -> None:
    make(str(tmp_path / "ext" / "f.txt"), "x")
    with wandb.init(project="p") as run:
        art = wandb.Artifact("refs", type="dataset")
        art.add_reference((tmp_path / "ext" / "f.txt").as_uri(), name="f.txt")
        art.add_file(make("own.txt", "y"))
        logged = run.log_artifact(art)
    assert logged.get_entry("f.txt").ref_target() == (tmp_path / "ext" / "f.txt").as_uri()
    with pytest.raises(ValueError):
        logged.get_entry("own.txt").ref_target()
    with pytest.raises(KeyError):
        logged.get_entry("nope.txt")  # W&B raises KeyError here; ours is also a FileNotFoundError


# -- 6. policy="immutable" -----------------------------------------------------------------------------
def test_immutable_policy_links_instead_of_copying(tmp_path: Path) -> None:
    make("big.ckpt", os.urandom(1 << 20))
    make("ckpts/shard0.bin", os.urandom(4096))
    with wandb.init(project="p") as run:
        art = wandb.Artifact("ckpt", type="model")
        art.add_file("big.ckpt", policy="immutable")
        art.add_dir("ckpts", name="ckpts", policy="immutable")
        logged = run.log_artifact(art)
    st = os.stat("big.ckpt")
    blob = logged.blob_path(logged.get_entry("big.ckpt").digest)
    same = (st.st_ino, st.st_dev) == (os.stat(blob).st_ino, os.stat(blob).st_dev)
    assert same or st.st_nlink == 1  # a hard link (the file itself is the blob), or a reflink (a twin)
    if same:
        assert not st.st_mode & 0o222  # a hard link is made read-only: the promise made visible
    assert logged.verify() == []
    with wandb.init(project="p") as run:  # logging again is a stat
        again = wandb.Artifact("ckpt", type="model")
        again.add_file("big.ckpt", policy="immutable")
        again.add_dir("ckpts", name="ckpts", policy="immutable")
        assert run.log_artifact(again).id == logged.id
    with pytest.raises(ValueError, match="policy"):
        wandb.Artifact("x").add_file("big.ckpt", policy="frozen")


def test_immutable_policy_on_an_object_store_copies_and_says_so_once(memfs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from nb_registry.store import blobs

    monkeypatch.setattr(blobs, "_copy_warned", set())
    monkeypatch.setenv("NB_REGISTRY_ROOT", "memory://compat")
    make("a.bin", b"a" * 100)
    make("b.bin", b"b" * 100)
    with wandb.init(project="p") as run:
        art = wandb.Artifact("m", type="model")
        art.add_file("a.bin", policy="immutable")
        art.add_file("b.bin", policy="immutable")
        with pytest.warns(UserWarning, match="not a local folder") as caught:
            logged = run.log_artifact(art)
    assert len([w for w in caught if "immutable" in str(w.message)]) == 1
    assert logged.verify() == [] and os.stat("a.bin").st_mode & 0o200  # copied: the file stays as it was


# -- 7. exceptions W&B's except clauses catch --------------------------------------------------------------
def test_errors_are_the_builtins_w_and_b_raises() -> None:
    with pytest.raises(ValueError):
        wandb.Artifact("bad/name/with/too/many", type="model")
    with pytest.raises(ValueError):
        wandb.init(project="bad project")  # project names stay strict
    art = wandb.Artifact("ok", type="model")
    with pytest.raises(FileNotFoundError) as e:
        art.add_file("missing.bin")
    assert type(e.value).__name__ == "EntryNotFoundError" and "no such file: missing.bin" in str(e.value)
    assert isinstance(e.value, wandb.NotFoundError)
    with pytest.raises(FileNotFoundError):
        art.add_dir("missing-folder")
