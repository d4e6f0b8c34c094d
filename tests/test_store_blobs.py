"""One contract for the content-addressed blob store, run on a local folder, ``memory://`` and S3."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import make_file

from nb_registry.errors import IntegrityError, NotFoundError
from nb_registry.store.blobs import BlobStore
from nb_registry.store.hashing import StatCache, hash_bytes, hash_file


@pytest.fixture(params=["file", "memory", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    cache = StatCache(str(tmp_path / "cache" / "stat.sqlite"))
    if request.param == "file":
        return BlobStore(str(tmp_path / "blobs"), cache)
    if request.param == "memory":
        request.getfixturevalue("memfs")
        return BlobStore("memory://contract/blobs", cache)
    bucket = request.getfixturevalue("s3_bucket")
    return BlobStore(f"s3://{bucket}/reg/blobs", cache, **request.getfixturevalue("s3_options"))


def _overwrite(blobs: BlobStore, digest: str, data: bytes) -> None:
    """Damage a stored blob behind the store's back (as a disk error or a careless user would)."""
    if blobs.is_local:
        os.chmod(blobs.path(digest), 0o644)
        Path(blobs.path(digest)).write_bytes(data)
    else:
        blobs.fs.pipe_file(blobs.path(digest), data)
        blobs.fs.invalidate_cache()


class TestBlobStoreContract:
    def test_put_bytes_stores_once(self, blobs: BlobStore) -> None:
        d1, new1 = blobs.put_bytes(b"hello world")
        d2, new2 = blobs.put_bytes(b"hello world")
        assert d1 == d2 == hash_bytes(b"hello world")
        assert (new1, new2) == (True, False)
        assert list(blobs.digests()) == [d1]

    def test_put_file_dedups_whatever_the_name(self, blobs: BlobStore, tmp_path: Path) -> None:
        a = make_file(tmp_path / "a.bin", b"same content" * 100)
        b = make_file(tmp_path / "other" / "b.weights", b"same content" * 100)
        d1, size1, new1 = blobs.put_file(str(a))
        d2, size2, new2 = blobs.put_file(str(b))
        assert d1 == d2 == hash_file(a)
        assert size1 == size2 == 1200
        assert (new1, new2) == (True, False)
        assert list(blobs.digests()) == [d1]
        # bytes logged first as bytes, then as a file: still one blob
        d3, _, new3 = blobs.put_file(str(make_file(tmp_path / "c", b"xyz")))
        assert blobs.put_bytes(b"xyz") == (d3, False)
        assert new3 is True

    def test_large_file_copied_and_hashed(self, blobs: BlobStore, tmp_path: Path) -> None:
        data = os.urandom(5 << 20)  # above the parallel copy+hash threshold
        src = make_file(tmp_path / "big.bin", data)
        digest, size, new = blobs.put_file(str(src))
        assert (digest, size, new) == (hash_bytes(data), len(data), True)
        assert blobs.read_verified(digest) == data
        assert blobs.size(digest) == len(data)

    def test_exists_and_read_verified(self, blobs: BlobStore) -> None:
        digest, _ = blobs.put_bytes(b"payload")
        assert blobs.exists(digest)
        assert not blobs.exists(hash_bytes(b"never stored"))
        assert blobs.read_verified(digest) == b"payload"
        with pytest.raises(NotFoundError, match="missing"):
            blobs.read_verified(hash_bytes(b"never stored"))

    def test_get_file(self, blobs: BlobStore, tmp_path: Path) -> None:
        digest, _ = blobs.put_bytes(b"to fetch")
        dest = tmp_path / "out" / "x.bin"
        dest.parent.mkdir()
        blobs.get_file(digest, str(dest))
        assert dest.read_bytes() == b"to fetch"
        with pytest.raises(NotFoundError):
            blobs.get_file(hash_bytes(b"absent"), str(tmp_path / "out" / "y.bin"))
        assert sorted(os.listdir(dest.parent)) == ["x.bin"]  # no partial file left behind

    def test_tampered_blob_is_caught(self, blobs: BlobStore, tmp_path: Path) -> None:
        digest, _ = blobs.put_bytes(b"original bytes")
        assert blobs.verify(digest)
        _overwrite(blobs, digest, b"ORIGINAL bytes")  # same size, other content
        assert not blobs.verify(digest)
        with pytest.raises(IntegrityError, match=digest):
            blobs.read_verified(digest)
        dest = tmp_path / "fetched.bin"
        with pytest.raises(IntegrityError):
            blobs.get_file(digest, str(dest))
        assert not dest.exists()
        assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]

    def test_verify_of_missing_blob_is_false(self, blobs: BlobStore) -> None:
        assert blobs.verify(hash_bytes(b"nothing")) is False

    def test_digests_lists_every_blob(self, blobs: BlobStore) -> None:
        stored = {blobs.put_bytes(f"blob {i}".encode())[0] for i in range(5)}
        assert set(blobs.digests()) == stored

    def test_delete(self, blobs: BlobStore) -> None:
        keep, _ = blobs.put_bytes(b"keep")
        gone, _ = blobs.put_bytes(b"gone")
        blobs.delete(gone)
        blobs.delete(gone)  # deleting twice is not an error
        assert not blobs.exists(gone)
        assert blobs.exists(keep)
        assert list(blobs.digests()) == [keep]
        # deleted content can be stored again
        assert blobs.put_bytes(b"gone") == (gone, True)

    def test_layout_fans_out_on_two_characters(self, blobs: BlobStore) -> None:
        digest, _ = blobs.put_bytes(b"layout")
        assert blobs.path(digest).endswith(f"/{digest[:2]}/{digest[2:]}")


def test_local_blobs_are_read_only_and_no_tmp_left(tmp_path: Path) -> None:
    blobs = BlobStore(str(tmp_path / "blobs"), StatCache(str(tmp_path / "stat.sqlite")))
    digest, _ = blobs.put_bytes(b"read only")
    big, _, _ = blobs.put_file(str(make_file(tmp_path / "big", os.urandom(5 << 20))))
    for d in (digest, big):
        assert not os.access(blobs.path(d), os.W_OK) or os.geteuid() == 0
        assert os.stat(blobs.path(d)).st_mode & 0o222 == 0
    assert os.listdir(tmp_path / "blobs" / "tmp") == []


def test_file_changing_while_logged_is_refused(tmp_path: Path) -> None:
    """A file whose size or mtime changes during the copy is not stored under a wrong digest."""
    blobs = BlobStore(str(tmp_path / "blobs"), StatCache(str(tmp_path / "stat.sqlite")))
    src = make_file(tmp_path / "f", b"abc")
    st = os.stat(src)
    make_file(src, b"abcd")
    with pytest.raises(IntegrityError, match="changed while"):
        blobs._check_unchanged(str(src), st)


def test_stat_cache_skips_rehash(tmp_path: Path) -> None:
    """An unchanged file (same inode, size, mtime and ctime) is recognised from the stat cache, not re-read;
    a file whose bytes changed is hashed again, even when its size and mtime were put back."""
    blobs = BlobStore(str(tmp_path / "blobs"), StatCache(str(tmp_path / "stat.sqlite")))
    src = make_file(tmp_path / "model.bin", b"a" * 4096)
    first = blobs.put_file(str(src))
    other = blobs.put_bytes(b"c" * 4096)[0]
    # Only a cache hit can report another digest than the file's own: point its row at a blob of that size.
    blobs.stat_cache.put(str(src), other)
    assert blobs.put_file(str(src)) == (other, 4096, False)
    blobs.stat_cache.put(str(src), first[0])
    st = os.stat(src)
    with open(src, "r+b") as f:
        f.write(b"b")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))  # size and mtime as before: the ctime moved all the same
    changed = blobs.put_file(str(src))
    assert changed[0] == hash_file(src) != first[0]
    assert changed[2] is True
