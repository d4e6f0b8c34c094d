"""Logging, versions, aliases, recorded facts, downloads and integrity of artifacts on a local registry."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_file, tamper

import nb_registry as nbr
from nb_registry import (
    AlreadyExistsError,
    Artifact,
    IntegrityError,
    InvalidNameError,
    InvalidSpecError,
    NotFoundError,
    Registry,
    RegistryError,
    UnsafePathError,
)
from nb_registry.names import NAME_RULE
from nb_registry.store.hashing import hash_bytes


def _art(tmp_path: Path, name: str = "model", content: str = "weights", filename: str = "model.bin",
         type: str = "model", **kw: Any) -> Artifact:
    art = Artifact(name, type=type, **kw)
    art.add_file(make_file(tmp_path / "src" / f"{content}-{filename}", content), name=filename)
    return art


# -- versions and aliases --------------------------------------------------------------------
def test_versions_count_up_and_latest_follows(run: Any, tmp_path: Path) -> None:
    logged = [run.log_artifact(_art(tmp_path, content=f"w{i}")) for i in range(3)]
    assert [a.version for a in logged] == ["v0", "v1", "v2"]
    assert [a.name for a in logged] == ["model:v0", "model:v1", "model:v2"]
    assert logged[2].id == "proj/model:v2"
    assert run.use_artifact("model:latest").version == "v2"
    assert run.use_artifact("model").version == "v2"
    assert run.use_artifact("model:v1").digest == logged[1].digest
    assert run.use_artifact("proj/model:v0").digest == logged[0].digest
    assert run.use_artifact("someone/proj/model:v0").id == "proj/model:v0"  # W&B entity/project/name
    assert run.use_artifact("model:v0").aliases == []
    assert run.use_artifact("model:v2").aliases == ["latest"]


def test_alias_is_unique_and_moves(run: Any, tmp_path: Path) -> None:
    v0 = run.log_artifact(_art(tmp_path, content="a"), aliases=["best", "production"])
    assert v0.aliases == ["latest", "best", "production"]
    v1 = run.log_artifact(_art(tmp_path, content="b"), aliases=["best"])
    assert run.use_artifact("model:best").version == "v1"
    assert run.use_artifact("model:production").version == "v0"
    assert run.use_artifact("model:v0").aliases == ["production"]
    assert set(run.use_artifact("model:v1").aliases) == {"latest", "best"}
    reg = run._reg
    reg.set_alias("proj/model:v0", "best")
    assert reg.artifact("proj/model:best").version == "v0"
    assert "best" not in reg.artifact("proj/model:v1").aliases
    history = reg.alias_history("proj/model")
    assert [(h["alias"], h["from"], h["to"]) for h in history] == [
        ("best", None, 0), ("production", None, 0), ("best", 0, 1), ("best", 1, 0)]
    assert v1.version == "v1"
    with pytest.raises(InvalidNameError, match="latest"):
        reg.set_alias("proj/model:v0", "latest")
    assert reg.artifact("proj/model:latest").version == "v1"


@pytest.mark.parametrize("alias", ["v3", "bad alias", "", "-x", "a/b", "a:b"])
def test_bad_alias_is_refused(run: Any, tmp_path: Path, alias: str) -> None:
    with pytest.raises(InvalidNameError):
        run.log_artifact(_art(tmp_path), aliases=[alias])
    with pytest.raises(NotFoundError):
        run.use_artifact("model")  # nothing was logged


def test_identical_content_is_not_a_new_version(run: Any, tmp_path: Path) -> None:
    first = run.log_artifact(_art(tmp_path, content="same"))
    blobs_before = set(run._reg.blobs.digests())
    # same bytes, a different local file name: the entry name decides, not the source path
    again = Artifact("model", type="model")
    again.add_file(make_file(tmp_path / "elsewhere" / "copy.bin", "same"), name="model.bin")
    second = run.log_artifact(again, aliases=["best"])
    assert second.version == "v0"
    assert second.deduplicated is True and first.deduplicated is False
    assert second.digest == first.digest
    assert set(second.aliases) == {"latest", "best"}
    assert [a.version for a in nbr.Api(root=run._reg.url, project="proj").artifact_versions("model")] == ["v0"]
    assert set(run._reg.blobs.digests()) == blobs_before
    assert again.state == "COMMITTED" and again.version == "v0"


def test_relogging_identical_content_with_its_aliases_writes_no_metadata(run: Any, tmp_path: Path) -> None:
    run.log_artifact(_art(tmp_path, content="same"), aliases=["best"])
    journal = Path(run._reg.meta.files.root) / "journal.log"
    before = journal.read_bytes()
    again = run.log_artifact(_art(tmp_path, content="same"), aliases=["best"])
    assert again.deduplicated and again.version == "v0"
    assert journal.read_bytes() == before  # no shard was rewritten
    moved = run.log_artifact(_art(tmp_path, content="same"), aliases=["prod"])  # a new alias is a write
    assert "prod" in moved.aliases and journal.read_bytes() != before


def test_type_mismatch_is_an_error(run: Any, tmp_path: Path) -> None:
    run.log_artifact(_art(tmp_path, content="a", type="model"))
    with pytest.raises(InvalidSpecError, match=r"type 'model', not 'dataset'"):
        run.log_artifact(_art(tmp_path, content="b", type="dataset"))
    assert [a.version for a in run._reg.versions("proj/model")] == ["v0"]


def test_empty_artifact_is_an_error(run: Any) -> None:
    with pytest.raises(InvalidSpecError, match="empty"):
        run.log_artifact(Artifact("nothing", type="model"))
    assert run._reg.collections() == []


class Unserialisable:
    pass


def test_unserialisable_metadata_names_the_key(run: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidSpecError, match="'bad'"):
        Artifact("m", metadata={"ok": 1, "bad": Unserialisable()})
    # set after construction: caught at log time, before anything is recorded
    art = _art(tmp_path, name="m")
    art.metadata["later"] = {1, 2}
    with pytest.raises(InvalidSpecError, match="'later'"):
        run.log_artifact(art)
    with pytest.raises(NotFoundError):
        run.use_artifact("m")
    art.metadata["later"] = [1, 2]
    assert run.log_artifact(art).metadata == {"later": [1, 2]}


@pytest.mark.parametrize("name", ["has space", "semi;colon", "a b/c", "", "-lead", "x" * 129, "ünï"])
def test_bad_names_state_the_rule(name: str) -> None:
    with pytest.raises(InvalidNameError) as e:
        Artifact(name)
    assert NAME_RULE in str(e.value)
    with pytest.raises(InvalidNameError, match="letters, digits"):
        Artifact("bad name")
    with pytest.raises(InvalidNameError, match="letters, digits"):
        Artifact("ok", type="bad type")


def test_project_in_artifact_name(reg: Registry, tmp_path: Path) -> None:
    with pytest.raises(InvalidNameError):
        Artifact("a/b/c/d")
    assert reg.log(_art(tmp_path, name="team/proj/m")).id == "proj/m:v0"  # W&B entity/project/name
    assert reg.log(_art(tmp_path, name="other/m")).id == "other/m:v0"
    assert reg.log(_art(tmp_path, name="m"), project="third").id == "third/m:v0"


def test_unknown_collection_lists_what_exists(run: Any, tmp_path: Path) -> None:
    run.log_artifact(_art(tmp_path, name="alpha"))
    run.log_artifact(_art(tmp_path, name="beta"))
    with pytest.raises(NotFoundError, match="alpha, beta"):
        run.use_artifact("gamma")
    with pytest.raises(NotFoundError, match="no artifacts"):
        run.use_artifact("elsewhere/alpha")


def test_unknown_alias_and_version_list_what_exists(run: Any, tmp_path: Path) -> None:
    run.log_artifact(_art(tmp_path, content="a"), aliases=["best"])
    with pytest.raises(NotFoundError) as e:
        run.use_artifact("model:prod")
    assert "latest" in str(e.value) and "best" in str(e.value)
    with pytest.raises(NotFoundError, match="v0"):
        run.use_artifact("model:v7")


def test_missing_file_errors(run: Any, tmp_path: Path) -> None:
    art = Artifact("m")
    with pytest.raises(NotFoundError, match="no such file"):
        art.add_file(tmp_path / "nope.bin")
    with pytest.raises(NotFoundError, match="add_dir"):
        art.add_file(tmp_path)
    with pytest.raises(NotFoundError, match="no such folder"):
        art.add_dir(tmp_path / "nope")
    src = make_file(tmp_path / "vanishes.bin", "x")
    art.add_file(src)
    src.unlink()
    with pytest.raises(NotFoundError, match="vanishes.bin"):
        run.log_artifact(art)


def test_logged_artifact_is_immutable(run: Any, tmp_path: Path) -> None:
    art = run.log_artifact(_art(tmp_path))
    with pytest.raises(RegistryError, match="immutable"):
        art.add_file(make_file(tmp_path / "more", "x"))


def test_draft_state_and_errors(tmp_path: Path) -> None:
    art = _art(tmp_path)
    assert art.state == "PENDING" and art.version is None
    with pytest.raises(RegistryError, match="not logged"):
        art.download()


# -- building content --------------------------------------------------------------------------
def test_add_dir_new_file_and_download(run: Any, tmp_path: Path) -> None:
    d = tmp_path / "tok"
    make_file(d / "vocab.txt", "a b c")
    make_file(d / "sub" / "merges.txt", "ab")
    make_file(d / "sub" / "deeper" / "cfg.json", "{}")
    art = Artifact("tok", type="tokenizer")
    art.add_dir(d)
    art.add_dir(d / "sub", name="copy")
    with art.new_file("notes.txt") as f:
        f.write("hello notes")
    with art.new_file("raw/bytes.bin", mode="wb") as f:
        f.write(b"\x00\x01")
    logged = run.log_artifact(art)
    assert [e.path for e in logged.files()] == [
        "copy/deeper/cfg.json", "copy/merges.txt", "notes.txt", "raw/bytes.bin",
        "sub/deeper/cfg.json", "sub/merges.txt", "vocab.txt"]
    entry = logged.get_path("notes.txt")
    assert entry.digest == hash_bytes(b"hello notes") and entry.size == 11
    out = Path(logged.download(str(tmp_path / "out")))
    assert out == tmp_path / "out"
    assert (out / "notes.txt").read_text() == "hello notes"
    assert (out / "raw" / "bytes.bin").read_bytes() == b"\x00\x01"
    assert (out / "copy" / "deeper" / "cfg.json").read_text() == "{}"
    assert (out / "sub" / "merges.txt").read_text() == "ab"
    assert logged.verify(str(out)) == []
    # content stored once: the two copies of merges.txt share one blob
    assert len({e.digest for e in logged.files()}) == 5


def test_get_path_download_and_default_root(run: Any, tmp_path: Path) -> None:
    art = _art(tmp_path, content="solo")
    logged = run.log_artifact(art)
    p = Path(logged.get_path("model.bin").download())
    assert p.read_text() == "solo" and p.name == "model.bin"
    assert str(p).startswith(run._reg.store.cache_dir)
    explicit = Path(logged.get_path("model.bin").download(str(tmp_path / "one")))
    assert explicit == tmp_path / "one" / "model.bin" and explicit.read_text() == "solo"
    default = Path(logged.download())
    assert (default / "model.bin").read_text() == "solo"
    assert "v0" in str(default)
    with pytest.raises(NotFoundError, match="model.bin"):
        logged.get_path("other.bin")


def test_default_root_is_home_or_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Registry().url == os.path.join(os.environ["HOME"], ".nb_registry")
    monkeypatch.setenv("NB_REGISTRY_ROOT", str(tmp_path / "from-env"))
    reg = Registry()
    assert reg.url == str(tmp_path / "from-env")
    logged = reg.log(_art(tmp_path), project="p")
    assert Registry(str(tmp_path / "from-env")).artifact("p/model").digest == logged.digest


def test_download_again_into_the_same_folder(run: Any, tmp_path: Path) -> None:
    logged = run.log_artifact(_art(tmp_path, content="abc"))
    out = Path(logged.download(str(tmp_path / "out")))
    # downloading again into the same folder is a no-op that keeps the content
    assert Path(logged.download(str(out))) == out
    assert (out / "model.bin").read_text() == "abc"


def test_refs_follow_whole_artifact_dependencies_recursively(run: Any, tmp_path: Path) -> None:
    m1 = run.log_artifact(_art(tmp_path, name="m1", content="one", filename="m1.json"))
    m2 = run.log_artifact(_art(tmp_path, name="m2", content="two", filename="m2.json"))
    pair = Artifact("pair", type="ensemble")
    pair.add_reference(m1)
    pair.add_reference(m2.get_path("m2.json"), name="copied_m2.json")
    pair = run.log_artifact(pair)
    top = Artifact("top", type="ensemble")
    top.add_reference(pair, name="inner")
    top.add_file(make_file(tmp_path / "readme.md", "top"), name="README.md")
    top = run.log_artifact(top)
    assert top.dependencies == ["proj/pair:v0"]
    assert pair.dependencies == ["proj/m1:v0", "proj/m2:v0"]

    shallow = Path(top.download(str(tmp_path / "shallow")))
    assert sorted(p.name for p in shallow.iterdir()) == ["README.md"]

    deep = Path(top.download(str(tmp_path / "deep"), refs=True))
    assert (deep / "README.md").read_text() == "top"
    assert (deep / "inner" / "copied_m2.json").read_text() == "two"
    assert (deep / "inner" / "m1" / "m1.json").read_text() == "one"
    assert top.verify() == [] and pair.verify() == []
    # one entry of a dependency, fetched alone
    assert Path(top.get_path("inner").download(str(tmp_path / "e"))).joinpath("m1", "m1.json").read_text() == "one"


# -- unsafe entry names ----------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "..", "C:/x", "a/\x00b"])
def test_escaping_entry_names_are_refused(tmp_path: Path, bad: str) -> None:
    src = make_file(tmp_path / "f.txt", "x")
    art = Artifact("m")
    with pytest.raises(UnsafePathError):
        art.add_file(src, name=bad)
    with pytest.raises(UnsafePathError):
        with art.new_file(bad) as f:
            f.write("x")
    with pytest.raises(UnsafePathError):
        art.add_dir(tmp_path, name=bad)


def test_manifest_with_escaping_name_writes_nothing_outside(reg: Registry, tmp_path: Path) -> None:
    """Even a manifest crafted by hand (not through add_file) cannot write outside the target."""
    import dataclasses

    from nb_registry.manifest import MANIFEST_FORMAT

    art = reg.log(_art(tmp_path, content="ok"), project="proj")
    digest, _ = reg.blobs.put_bytes(b"evil")
    for bad in ("../evil.txt", str(tmp_path / "abs-evil.txt"), "sub/../../evil.txt"):
        manifest = {"format": MANIFEST_FORMAT, "entries": {"a.txt": {"digest": digest, "size": 4}, bad: {"digest": digest, "size": 4}}}
        art._manifest = None
        mdigest, _ = reg.blobs.put_bytes(json.dumps(manifest).encode())
        art._record = dataclasses.replace(art._record, manifest=mdigest)
        target = tmp_path / "target" / "inner"
        with pytest.raises(UnsafePathError):
            art.download(str(target))
        assert not (tmp_path / "target" / "evil.txt").exists()
        assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "abs-evil.txt").exists()


def test_symlinked_subfolder_pointing_outside_is_refused(run: Any, tmp_path: Path) -> None:
    art = Artifact("m")
    art.add_file(make_file(tmp_path / "w.bin", "weights"), name="sub/w.bin")
    logged = run.log_artifact(art)
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (target / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="outside"):
        logged.download(str(target))
    with pytest.raises(UnsafePathError):
        logged.get_path("sub/w.bin").download(str(target))
    assert list(outside.iterdir()) == []


# -- what each version records ------------------------------------------------------------------
def test_version_records_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    make_file(repo / "train.py", "print('train')")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], cwd=repo, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()
    monkeypatch.chdir(repo)

    root = str(tmp_path / "reg")
    with nbr.init(project="proj", job_type="train", root=root) as run:
        art = Artifact("m1", type="model", description="first model", metadata={"val_acc": 0.91, "layers": [1, 2]})
        art.add_file(make_file(tmp_path / "w.bin", "weights!"), name="w.bin")
        logged = run.log_artifact(art, aliases=["best"])
        run_path = run.path
    info = nbr.Api(root=root, project="proj").artifact("m1:best").info
    assert info["name"] == "m1" and info["project"] == "proj" and info["version"] == 0
    assert info["type"] == "model" and info["description"] == "first model"
    assert info["metadata"] == {"val_acc": 0.91, "layers": [1, 2]}
    assert info["digest"] == logged.digest and len(info["digest"]) == 64
    assert info["aliases"] == ["latest", "best"]
    assert info["created_at"].endswith("+00:00")
    from nb_registry import envinfo

    assert info["created_by"] == envinfo.user() and info["created_by"]
    assert info["host"] == socket.gethostname()
    assert info["run"] == run_path
    assert info["git"]["commit"] == commit
    files = [(e.path, e.digest, e.size) for e in logged.files()]
    assert files == [("w.bin", hash_bytes(b"weights!"), 8)]
    assert logged.logged_by().path == run_path


def test_digest_depends_only_on_names_and_contents(reg: Registry, tmp_path: Path) -> None:
    a = reg.log(_art(tmp_path, name="a", content="same"), project="p")
    b = reg.log(_art(tmp_path, name="b", content="same"), project="q")
    c = reg.log(_art(tmp_path, name="c", content="same", filename="renamed.bin"), project="p")
    assert a.digest == b.digest != c.digest


def test_save_updates_metadata_and_aliases(run: Any, tmp_path: Path) -> None:
    logged = run.log_artifact(_art(tmp_path, metadata={"acc": 0.5}))
    logged.metadata["acc"] = 0.6
    logged.description = "tuned"
    logged.aliases.append("staging")
    logged.save()
    fresh = run.use_artifact("model:staging")
    assert fresh.metadata == {"acc": 0.6} and fresh.description == "tuned"
    assert fresh.digest == logged.digest
    fresh.aliases.remove("staging")  # taking an alias off through save() is recorded like any other move
    fresh.save()
    last = run._reg.alias_history(fresh.collection, fresh.project)[-1]
    assert (last["alias"], last["from"], last["to"]) == ("staging", 0, None)
    assert "staging" not in run._reg.artifact(fresh.id).aliases


# -- integrity -------------------------------------------------------------------------------------
def test_tampered_blob_caught_by_verify_and_download(run: Any, tmp_path: Path) -> None:
    art = Artifact("m")
    art.add_file(make_file(tmp_path / "good.bin", "good content"), name="good.bin")
    art.add_file(make_file(tmp_path / "weights.bin", "precious weights"), name="weights.bin")
    logged = run.log_artifact(art)
    assert logged.verify() == []
    blob = run._reg.blobs.path(logged.get_path("weights.bin").digest)
    size = os.path.getsize(blob)
    tamper(blob)
    assert os.path.getsize(blob) == size
    with pytest.raises(IntegrityError, match="weights.bin"):
        logged.verify()
    fresh_folder = tmp_path / "fresh"
    with pytest.raises(IntegrityError, match="weights.bin"):
        logged.download(str(fresh_folder))
    assert not (fresh_folder / "weights.bin").exists()
    with pytest.raises(IntegrityError, match="weights.bin"):
        logged.get_path("weights.bin").download(str(tmp_path / "one"))
    # a fresh process (no warm caches) refuses it as well
    with pytest.raises(IntegrityError, match="weights.bin"):
        Registry(run._reg.url).artifact("proj/m:v0").download(str(tmp_path / "fresh2"))


def test_verify_of_a_downloaded_folder(run: Any, tmp_path: Path) -> None:
    logged = run.log_artifact(_art(tmp_path, content="abc"))
    out = Path(logged.download(str(tmp_path / "copy")))
    copy = tmp_path / "plain"
    copy.mkdir()
    (copy / "model.bin").write_text("abc")
    assert logged.verify(str(copy)) == []
    (copy / "model.bin").write_text("abd")
    with pytest.raises(IntegrityError, match="model.bin"):
        logged.verify(str(copy))
    (copy / "model.bin").unlink()
    with pytest.raises(IntegrityError, match="missing"):
        logged.verify(str(copy))
    assert logged.verify(str(out)) == []


def test_local_registry_reads_need_no_network(tmp_path: Path) -> None:
    """use_artifact, download and verify on a local root work with sockets disabled."""
    root = str(tmp_path / "reg")
    with nbr.init(project="proj", root=root) as run:
        run.log_artifact(_art(tmp_path, content="offline"), aliases=["prod"])
    code = f"""
import socket
def refuse(*a, **k):
    raise RuntimeError("network used")
socket.socket.connect = refuse
socket.create_connection = refuse
import nb_registry as nbr
with nbr.init(project="proj", root={root!r}) as run:
    art = run.use_artifact("model:prod")
    path = art.download({str(tmp_path / 'dl')!r})
    assert art.verify() == []
    print(open(path + "/model.bin").read())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "offline"


def test_folder_of_many_small_files(reg: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    for i in range(300):
        make_file(folder / f"part-{i // 100}" / f"{i:04d}.txt", f"piece {i % 150}")  # half are duplicates
    art = Artifact("tok", type="tokenizer")
    art.add_dir(folder)
    logged = reg.log(art, project="p")
    files = logged.files()
    assert len(files) == 300
    assert {e.path: e.digest for e in files}["part-2/0299.txt"] == hash_bytes(b"piece 149")
    manifest = reg.manifests.objects(logged.record.manifest)  # 300 entries: a tree, its root and nodes
    assert len(set(reg.blobs.digests())) == 150 + len(manifest)  # 150 distinct contents and the manifest
    again = Artifact("tok", type="tokenizer")
    again.add_dir(folder)
    dup = reg.log(again, project="p")
    assert dup.deduplicated and dup.version == "v0" and dup.new_bytes == 0


def test_a_file_and_a_folder_cannot_share_a_name(tmp_path: Path) -> None:
    """``x`` and ``x/y`` in one artifact could be logged but never downloaded: refused when added."""
    (tmp_path / "x").write_text("f")
    (tmp_path / "p2" / "x").mkdir(parents=True)
    (tmp_path / "p2" / "x" / "y").write_text("g")
    a = Artifact("clash")
    a.add_file(tmp_path / "x")
    with pytest.raises(AlreadyExistsError, match="'x' is already a file entry"):
        a.add_dir(tmp_path / "p2")
    b = Artifact("clash2")
    b.add_dir(tmp_path / "p2")
    with pytest.raises(AlreadyExistsError, match="already make 'x' a folder"):
        b.add_file(tmp_path / "x")
    b.remove("x/y")
    assert b.add_file(tmp_path / "x").path == "x"  # once the folder's file is gone, the name is free


# -- what a download is: a hard link only where the blob's read-only mode protects it ---------------------
def test_editing_a_download_never_changes_the_stored_version(run: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    art = Artifact("m")
    art.add_file(make_file(tmp_path / "w.bin", "weights-v1"), name="w.bin")
    logged = run.log_artifact(art)
    blob = os.stat(run._reg.blobs.path(logged.get_path("w.bin").digest))
    monkeypatch.setenv("NB_REGISTRY_LINK", "copy")  # what root gets (it can write read-only files)
    out = Path(logged.download(str(tmp_path / "dl")))
    assert os.stat(out / "w.bin").st_ino != blob.st_ino
    (out / "w.bin").write_text("user edited the downloaded copy")
    assert logged.verify() == []
    assert (Path(run.use_artifact("m:latest").download(str(tmp_path / "dl2"))) / "w.bin").read_text() == "weights-v1"
    monkeypatch.setenv("NB_REGISTRY_LINK", "hardlink")  # opt-in (or a non-root user): the blob itself, read-only
    linked = Path(logged.download(str(tmp_path / "dl3"))) / "w.bin"
    assert os.stat(linked).st_ino == blob.st_ino and not os.stat(linked).st_mode & 0o222
    monkeypatch.setenv("NB_REGISTRY_LINK", "sometimes")
    with pytest.raises(InvalidSpecError, match="auto, hardlink or copy"):
        logged.download(str(tmp_path / "dl4"))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not os.path.exists("/usr/bin/setpriv"),
                    reason="needs root to start a process as another user")
def test_by_default_root_gets_copies_and_other_users_get_hard_links() -> None:
    import shutil
    import tempfile

    code = ("import os, sys, nb_registry as nbr\n"
            "a = nbr.Api(root=sys.argv[1]).artifact('p/m:latest')\n"
            "out = a.download(sys.argv[2])\n"
            "blob = a._backend_required().blobs.path(a.get_path('w.bin').digest)\n"
            "print(os.stat(os.path.join(out, 'w.bin')).st_ino == os.stat(blob).st_ino)\n")
    shared = Path(tempfile.mkdtemp(prefix="nbr-users-"))  # pytest's own folders are private to root
    try:
        root = shared / "reg"
        with nbr.init(root=str(root), project="p") as run:
            art = Artifact("m")
            art.add_file(make_file(shared / "w.bin", "weights"), name="w.bin")
            run.log_artifact(art)
        for path in [shared, *shared.rglob("*")]:  # the user's own registry (Linux links only files one owns)
            os.chmod(path, 0o777 if path.is_dir() else 0o666 if "blobs" not in path.parts else 0o444)
            os.chown(path, 65534, 65534)
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), NB_REGISTRY_CACHE=str(shared / "c"),
                   HOME=str(shared))
        env.pop("NB_REGISTRY_LINK", None)
        as_root = subprocess.run([sys.executable, "-c", code, str(root), str(shared / "dl-root")], env=env,
                                 capture_output=True, text=True, timeout=60)
        assert as_root.stdout.strip() == "False", as_root.stderr  # root could write through a link: a copy
        as_user = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                                  code, str(root), str(shared / "dl-user")], env=env, capture_output=True, text=True,
                                 timeout=60)
        assert as_user.stdout.strip() == "True", as_user.stderr  # read-only protects the blob: a hard link
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_a_name_to_log_carries_no_version(tmp_path: Path) -> None:
    with pytest.raises(InvalidNameError, match="chosen when it is logged"):
        Artifact("proj/name:v3")


def test_diff_sees_metadata_changes_python_equality_hides(run: Any, tmp_path: Path) -> None:
    a = run.log_artifact(_art(tmp_path, metadata={"flag": True, "n": 1, "k": None}))
    b = Artifact("model", metadata={"flag": 1, "n": 1.0})
    b.add_file(make_file(tmp_path / "other.bin", "other"), name="other.bin")
    b = run.log_artifact(b)
    changed = nbr.Api(root=run.registry_url).diff(a.id, b.id)["metadata"]
    assert set(changed) == {"flag", "n", "k"}  # True -> 1, 1 -> 1.0, None -> (absent)


def test_add_dir_follows_links_and_refuses_loops_and_broken_links(tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    make_file(shards / "s0.bin", "shard 0")
    ckpt = tmp_path / "ckpt"
    make_file(ckpt / "config.json", "{}")
    os.symlink(shards, ckpt / "weights")  # a folder link: followed like the file links
    os.symlink(shards / "s0.bin", ckpt / "first.bin")
    art = Artifact("ckpt")
    art.add_dir(ckpt)
    assert sorted(art._pending) == ["config.json", "first.bin", "weights/s0.bin"]
    os.symlink(ckpt, shards / "back")  # ckpt/weights/back -> ckpt: a loop
    with pytest.raises(InvalidSpecError, match="loop"):
        Artifact("loop").add_dir(ckpt)
    os.unlink(shards / "back")
    os.symlink(tmp_path / "gone.bin", ckpt / "dangling.bin")
    with pytest.raises(NotFoundError, match="broken symbolic link"):
        Artifact("broken").add_dir(ckpt)


def test_add_dir_accepts_two_links_to_the_same_folder(tmp_path: Path) -> None:
    make_file(tmp_path / "shared" / "vocab.txt", "a b")
    (tmp_path / "model").mkdir()
    os.symlink(tmp_path / "shared", tmp_path / "model" / "enc")
    os.symlink(tmp_path / "shared", tmp_path / "model" / "dec")  # not a loop: stored once, named twice
    art = Artifact("twice")
    art.add_dir(tmp_path / "model")
    assert sorted(art._pending) == ["dec/vocab.txt", "enc/vocab.txt"]


def test_a_missing_manifest_is_damage_not_an_unknown_artifact(run: Any, tmp_path: Path) -> None:
    logged = run.log_artifact(_art(tmp_path))
    manifest = run._reg.blobs.path(logged.record.manifest)
    os.chmod(manifest, 0o644)
    os.unlink(manifest)
    fresh = nbr.Api(root=run.registry_url).artifact(logged.id)  # a new process would have no cached manifest
    fresh._backend_required().manifests.forget()
    with pytest.raises(IntegrityError, match="manifest"):
        fresh.verify()


def test_identical_files_with_new_metadata_say_the_metadata_was_kept(run: Any, tmp_path: Path) -> None:
    run.log_artifact(_art(tmp_path, metadata={"acc": 0.9}))
    with pytest.warns(UserWarning, match="metadata and description were kept"):
        again = run.log_artifact(_art(tmp_path, metadata={"acc": 0.95}))
    assert again.deduplicated and again.version == "v0" and again.metadata == {"acc": 0.9}


@pytest.mark.parametrize("empty", [".", "./", "a/.."])
def test_an_entry_name_that_names_no_file_says_so(tmp_path: Path, empty: str) -> None:
    with pytest.raises(UnsafePathError, match="names no file" if ".." not in empty else "escape"):
        Artifact("m").add_file(make_file(tmp_path / "f.txt", "x"), name=empty)
