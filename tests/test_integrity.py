"""Damaged caches and blobs are caught, and hostile or impossible input is refused up front with a named
error. Real files, a real SQLite stat cache, real flipped bytes."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import make_file

import nb_registry as nbr
from nb_registry import Artifact, IntegrityError, InvalidNameError, InvalidSpecError, Registry
from nb_registry.store.hashing import hash_bytes, hash_file


def _stat_db(reg: Registry) -> str:
    return reg.store.stat_cache.path


def _flip_cached_digest(reg: Registry, path: str) -> str:
    """Flip one character of the digest the stat cache holds for ``path`` (what one flipped byte in
    ``stat.sqlite`` does); returns the damaged digest."""
    reg.store.stat_cache.close()
    with sqlite3.connect(_stat_db(reg)) as db:
        (digest,) = db.execute("SELECT digest FROM stat WHERE path=?", (path,)).fetchone()
        bad = ("0" if digest[0] != "0" else "1") + digest[1:]
        db.execute("UPDATE stat SET digest=? WHERE path=?", (bad, path))
    return bad


# -- 9: a blob is only ever stored under the digest of its bytes --------------------------------------
@pytest.mark.parametrize("size", [100, 5 << 20], ids=["small", "large"])
@pytest.mark.parametrize("store", ["local", "memory"])
def test_a_damaged_stat_cache_row_never_names_a_stored_blob(tmp_path: Path, memfs: Any, store: str, size: int) -> None:
    root = str(tmp_path / "reg") if store == "local" else "memory://reg"
    reg = Registry(root, cache_dir=str(tmp_path / "cache"))
    src = make_file(tmp_path / "model.bin", os.urandom(size))
    art = Artifact("m")
    art.add_file(src)
    first = reg.log(art, project="p")
    good = first.manifest["model.bin"]["digest"]
    bad = _flip_cached_digest(reg, str(src))
    assert not reg.blobs.exists(bad)
    again = Artifact("other")
    again.add_file(src)
    logged = reg.log(again, project="p")
    assert logged.manifest["model.bin"]["digest"] == good == hash_file(src)
    assert not reg.blobs.exists(bad)  # nothing was stored under the damaged name
    assert logged.verify() == []


def test_a_stat_cache_row_naming_another_blob_is_not_trusted(reg: Registry, tmp_path: Path) -> None:
    """A row damaged into the digest of another stored blob (of another size) is caught too."""
    decoy = reg.blobs.put_bytes(b"someone else's much longer content")[0]
    src = make_file(tmp_path / "model.bin", b"weights")
    art = Artifact("m")
    art.add_file(src)
    reg.log(art, project="p")
    reg.store.stat_cache.put(str(src), decoy)
    again = Artifact("m2")
    again.add_file(src)
    assert reg.log(again, project="p").manifest["model.bin"]["digest"] == hash_bytes(b"weights")


# -- 10: a blob changed behind the stat cache's back is not handed out ------------------------------
def _damage_keeping_size_and_mtime(path: str) -> None:
    st = os.stat(path)
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        byte = f.read(1)
        f.seek(0)
        f.write(bytes([byte[0] ^ 0x01]))
    os.chmod(path, st.st_mode)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    now = os.stat(path)
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


def test_download_catches_a_flipped_bit_with_size_and_mtime_restored(reg: Registry, tmp_path: Path) -> None:
    art = Artifact("m")
    art.add_file(make_file(tmp_path / "model.bin", os.urandom(2 << 20)))
    logged = reg.log(art, project="p")
    logged.download(str(tmp_path / "first"))  # the blob is verified once and remembered in the stat cache
    digest = logged.manifest["model.bin"]["digest"]
    _damage_keeping_size_and_mtime(reg.blobs.path(digest))
    with pytest.raises(IntegrityError, match="model.bin"):
        reg.artifact("p/m:v0").download(str(tmp_path / "second"))
    assert not (tmp_path / "second" / "model.bin").exists()
    from nb_registry.transfer import local_blob

    with pytest.raises(IntegrityError):  # what %use reads objects through
        local_blob(reg, digest)


def test_hard_linked_downloads_do_not_cost_a_rehash_each(reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new hard link moves the blob's ctime; the download records it, so the next one is a cache hit."""
    monkeypatch.setenv("NB_REGISTRY_LINK", "hardlink")
    art = Artifact("m")
    art.add_file(make_file(tmp_path / "model.bin", b"weights"))
    logged = reg.log(art, project="p")
    logged.download(str(tmp_path / "a"))
    blob = reg.blobs.path(logged.manifest["model.bin"]["digest"])
    assert os.stat(blob).st_nlink == 2
    assert reg.store.stat_cache.get(blob) == logged.manifest["model.bin"]["digest"]


def test_a_stat_cache_from_before_ctime_keeps_working(tmp_path: Path) -> None:
    """Rows an older nb_registry wrote (no ctime column) are misses, not errors; a wrong digest in one is never used."""
    cache = tmp_path / "cache"
    cache.mkdir()
    src = make_file(tmp_path / "model.bin", b"weights")
    st = os.stat(src)
    with sqlite3.connect(cache / "stat.sqlite") as db:
        db.execute("CREATE TABLE stat (path TEXT PRIMARY KEY, ino INT, size INT, mtime INT, digest TEXT)")
        db.execute("INSERT INTO stat VALUES (?,?,?,?,?)", (str(src), st.st_ino, st.st_size, st.st_mtime_ns, "f" * 64))
    reg = Registry(str(tmp_path / "reg"), cache_dir=str(cache))
    art = Artifact("m")
    art.add_file(src)
    logged = reg.log(art, project="p")
    assert logged.manifest["model.bin"]["digest"] == hash_bytes(b"weights")
    assert reg.store.stat_cache.get(str(src)) == hash_bytes(b"weights")  # remembered again, with its ctime
    assert Path(logged.download(str(tmp_path / "out")), "model.bin").read_bytes() == b"weights"


def test_deleting_a_download_keeps_the_blob_a_cache_hit_but_a_later_change_is_caught(
        reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    monkeypatch.setenv("NB_REGISTRY_LINK", "hardlink")
    art = Artifact("m")
    art.add_file(make_file(tmp_path / "model.bin", os.urandom(1 << 20)))
    logged = reg.log(art, project="p")
    digest = logged.manifest["model.bin"]["digest"]
    blob = reg.blobs.path(digest)
    logged.download(str(tmp_path / "dl"))
    before = os.stat(blob).st_ctime_ns
    shutil.rmtree(tmp_path / "dl")  # the blob loses a link: its ctime moves, its bytes do not
    assert os.stat(blob).st_ctime_ns != before
    assert reg.store.stat_cache.get(blob) == digest  # still known: no re-hash of an unchanged blob
    _damage_keeping_size_and_mtime(blob)
    assert reg.store.stat_cache.get(blob) is None
    with pytest.raises(IntegrityError, match="model.bin"):
        reg.artifact("p/m:v0").download(str(tmp_path / "again"))


# -- 12: refused up front, with a named error -------------------------------------------------------
@pytest.mark.parametrize("bad", [None, 123, b"x", ["m"]])
def test_an_artifact_name_that_is_not_a_string_is_refused(bad: Any) -> None:
    with pytest.raises(InvalidNameError, match="artifact name is a string"):
        Artifact(bad)


def test_a_description_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidSpecError, match="description must be a string"):
        Artifact("m", description=42)  # type: ignore[arg-type]
    with pytest.raises(InvalidSpecError, match="description"):
        Artifact("m", description="caf\udce9")


def _deep(levels: int) -> dict[str, Any]:
    top: dict[str, Any] = {}
    node = top
    for _ in range(levels):
        node["k"] = {}
        node = node["k"]
    return top


def test_metadata_nested_thousands_deep_is_refused_naming_the_key(reg: Registry, tmp_path: Path) -> None:
    with pytest.raises(InvalidSpecError, match=r"metadata\['deep'\].*nested more than 100 levels"):
        Artifact("m", metadata={"deep": _deep(5000)})
    with pytest.raises(InvalidSpecError, match="nested"):
        Artifact("m", metadata={"deep": [[[[]]]] and [_deep(3000)]})
    art = Artifact("m", metadata={"fine": _deep(50)})  # deep, but within the limit
    art.add_file(make_file(tmp_path / "w.bin", "w"))
    art.metadata["later"] = _deep(3000)  # edited after the draft was made: checked when logged
    with pytest.raises(InvalidSpecError, match="later"):
        reg.log(art, project="p")
    with pytest.raises(InvalidSpecError, match="config"):
        nbr.init(root=reg.url, project="p", config={"deep": _deep(3000)})


def test_shared_values_are_not_taken_for_a_cycle() -> None:
    shared = [1, 2]
    assert Artifact("m", metadata={"a": shared, "b": shared}).metadata == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("name, why", [("x" * 5000, "part of 5000 bytes"), ("/".join(["d"] * 3000), "3000 folders deep"),
                                       ("é" * 200, "part of 400 bytes")])
def test_entry_names_too_long_to_download_are_refused(tmp_path: Path, name: str, why: str) -> None:
    src = make_file(tmp_path / "w.bin", "w")
    art = Artifact("m")
    with pytest.raises(InvalidNameError, match=why):
        art.add_file(src, name=name)
    with pytest.raises(InvalidNameError, match=why):
        with art.new_file(name) as f:
            f.write("x")
    assert art._pending == {}


def test_the_longest_allowed_entry_name_downloads(reg: Registry, tmp_path: Path) -> None:
    from nb_registry.names import MAX_COMPONENT_BYTES, MAX_ENTRY_BYTES

    name = "/".join(["p" * MAX_COMPONENT_BYTES] * 3 + ["w" * (MAX_COMPONENT_BYTES - 1)])
    assert len(name) == MAX_ENTRY_BYTES - 2
    art = Artifact("m")
    art.add_file(make_file(tmp_path / "w.bin", "w"), name=name)
    out = reg.log(art, project="p").download(str(tmp_path / "out"))
    assert Path(out, *name.split("/")).read_text() == "w"


def test_a_crafted_manifest_with_a_too_long_name_is_refused_at_download(reg: Registry, tmp_path: Path) -> None:
    import dataclasses

    from nb_registry.manifest import MANIFEST_FORMAT

    art = Artifact("m")
    art.add_file(make_file(tmp_path / "w.bin", "w"))
    logged = reg.log(art, project="p")
    digest = logged.manifest["w.bin"]["digest"]
    mdigest, _ = reg.blobs.put_bytes(json.dumps({"format": MANIFEST_FORMAT,
                                                 "entries": {"x" * 5000: {"digest": digest, "size": 1}}}).encode())
    logged._record = dataclasses.replace(logged._record, manifest=mdigest)
    logged._manifest = None
    with pytest.raises(InvalidNameError, match="5000 bytes"):
        logged.download(str(tmp_path / "out"))


# -- 8: text that cannot be stored is refused up front, naming the key or file ------------------------
def test_metadata_and_config_with_a_lone_surrogate_are_refused_naming_the_key(reg: Registry, tmp_path: Path) -> None:
    with pytest.raises(InvalidSpecError, match=r"metadata\['path'\].*udcff"):
        Artifact("m", metadata={"path": "data/\udcff.csv"})
    with pytest.raises(InvalidSpecError, match="key 'n\\\\udce9'"):
        Artifact("m", metadata={"nested": {"n\udce9": 1}})
    with pytest.raises(InvalidSpecError, match="config"):
        nbr.init(root=reg.url, project="p", config={"files": ["ok", "bad\udcff"]})
    art = Artifact("m")
    art.add_file(make_file(tmp_path / "w.bin", "w"))
    art.metadata["source"] = "caf\udce9"
    with pytest.raises(InvalidSpecError, match="source"):
        reg.log(art, project="p")
    del art.metadata["source"]
    assert reg.log(art, project="p").version == "v0"  # the refusal changed nothing: the next log works
    assert [a.version for a in reg.versions("p/m")] == ["v0"]


def test_file_names_that_are_not_utf8_are_refused_naming_the_file(reg: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    make_file(folder / "good.txt", "g")
    bad = os.path.join(os.fsencode(folder), b"caf\xe9.txt")  # a Latin-1 name, as an old archive leaves it
    with open(bad, "wb") as f:
        f.write(b"b")
    art = Artifact("m")
    with pytest.raises(InvalidNameError, match=r"caf\\xe9\.txt"):
        art.add_dir(folder)
    with pytest.raises(InvalidNameError, match="not valid text"):
        art.add_file(os.fsdecode(bad))
    art.add_file(os.fsdecode(bad), name="cafe.txt")  # renamed: fine
    assert reg.log(art, project="p").manifest.keys() == {"cafe.txt"}


# -- 12: a full disk says which file could not be written and that nothing changed -------------------
FULL_DISK = r"""
import json, os, subprocess, sys
mnt, src_small, src_large, out = sys.argv[1:5]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], check=True)
import nb_registry as nbr
from nb_registry import Artifact, Registry, RegistryError
reg = Registry(os.path.join(mnt, "reg"))
first = Artifact("m")
with first.new_file("a.txt") as f:
    f.write("fits")
reg.log(first, project="p")
report = {}
for label, src in (("small", src_small), ("large", src_large)):
    art = Artifact("m")
    art.add_file(src, name="big.bin")
    try:
        reg.log(art, project="p")
        report[label] = "logged"
    except Exception as e:
        report[label] = f"{type(e).__name__}: {e}"
report["versions"] = [a.version for a in Registry(os.path.join(mnt, "reg")).versions("p/m")]
report["tmp"] = os.listdir(os.path.join(mnt, "reg", "blobs", "tmp"))
with open(os.path.join(mnt, "filler"), "wb") as f:  # now fill the disk and download
    try:
        f.write(b"\0" * (2 << 20))
    except OSError:
        pass
try:
    reg.artifact("p/m:v0").download(os.path.join(mnt, "dl"))
    report["download"] = "done"
except Exception as e:
    report["download"] = f"{type(e).__name__}: {e}"
report["dl"] = sorted(os.listdir(os.path.join(mnt, "dl"))) if os.path.isdir(os.path.join(mnt, "dl")) else None
json.dump(report, open(out, "w"))
"""


def test_a_full_disk_names_the_file_and_changes_nothing(tmp_path: Path) -> None:
    """On a real 1 MiB tmpfs, mounted in a private mount namespace (``unshare``: nothing to clean up)."""
    import shutil
    import subprocess
    import sys

    if shutil.which("unshare") is None:
        pytest.fail("the full-disk test needs util-linux's unshare (apt-get install util-linux)")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    small = make_file(tmp_path / "small.bin", os.urandom(2 << 20))  # below the copy-while-hashing size
    large = make_file(tmp_path / "large.bin", os.urandom(6 << 20))  # copied and hashed at once
    out = tmp_path / "report.json"
    run = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", FULL_DISK,
                          str(mnt), str(small), str(large), str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    for label, src in (("small", small), ("large", large)):
        assert report[label].startswith("RegistryError: could not write "), report[label]
        assert str(src) in report[label] and "disk is full" in report[label] and "nothing was logged" in report[label]
    assert report["versions"] == ["v0"] and report["tmp"] == []
    assert report["download"].startswith("RegistryError: could not write ") and "a.txt" in report["download"]
    assert "left as it was" in report["download"] and report["dl"] == []


# -- 13: errors name the entry, and a damaged manifest is said to be damaged --------------------------
def test_a_pickle_refusal_names_the_entry_not_the_blob(reg: Registry, tmp_path: Path) -> None:
    from fractions import Fraction

    from nb_registry import serialize

    folder = tmp_path / "objs"
    folder.mkdir()
    fname, fmt = serialize.dump(Fraction(1, 3), str(folder), "ratio", allow_pickle=True)
    (folder / serialize.OBJECTS_ENTRY).write_text(json.dumps({"ratio": {"file": fname, "format": fmt}}))
    art = Artifact("obj")
    art.add_dir(folder)
    logged = reg.log(art, project="p")
    digest = logged.manifest[fname]["digest"]
    with pytest.raises(InvalidSpecError) as e:
        serialize.load_objects(logged)
    assert "ratio.pkl (in p/obj:v0) is a pickle" in str(e.value) and digest[2:] not in str(e.value)
    assert serialize.load_objects(logged, allow_pickle=True) == {"ratio": Fraction(1, 3)}


def test_a_manifest_holding_a_file_and_a_folder_of_the_same_name_is_a_named_integrity_error(reg: Registry,
                                                                                            tmp_path: Path) -> None:
    import dataclasses

    from nb_registry.manifest import MANIFEST_FORMAT

    art = Artifact("m")
    art.add_file(make_file(tmp_path / "w.bin", "w"))
    logged = reg.log(art, project="p")
    digest = logged.manifest["w.bin"]["digest"]
    entries = {"a": {"digest": digest, "size": 1}, "a/b": {"digest": digest, "size": 1}}
    mdigest, _ = reg.blobs.put_bytes(json.dumps({"format": MANIFEST_FORMAT, "entries": entries}).encode())
    logged._record = dataclasses.replace(logged._record, manifest=mdigest)
    logged._manifest = None
    target = tmp_path / "out"
    with pytest.raises(IntegrityError, match=r"damaged: it holds both 'a' and 'a/b'"):
        logged.download(str(target))
    assert not target.exists()  # refused before anything was written
    with pytest.raises(IntegrityError, match="'a/b'"):
        logged.get_path("a/b").download(str(target))
