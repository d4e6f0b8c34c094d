"""Damaged caches and blobs are caught, and hostile or impossible input is refused up front with a named
error. Real files, a real SQLite stat cache, real flipped bytes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import make_file

from nb_registry import Artifact, IntegrityError, Registry
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
