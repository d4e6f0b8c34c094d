"""References: content that stays where it is (file://, memory://, s3://), checked and fetched on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import make_file

from nb_registry import Artifact, IntegrityError, NotFoundError, Registry, StorageError
from nb_registry.store.hashing import hash_bytes


@pytest.fixture
def local_reg(tmp_path: Path) -> Registry:
    return Registry(str(tmp_path / "reg"))


def test_file_reference_records_content_hash(local_reg: Registry, tmp_path: Path) -> None:
    data = make_file(tmp_path / "data" / "train.csv", "a,b\n1,2\n")
    art = Artifact("ds", type="dataset")
    [entry] = art.add_reference(f"file://{data}")
    assert entry.digest == hash_bytes(b"a,b\n1,2\n") and entry.size == 8
    logged = local_reg.log(art, project="p")
    assert list(local_reg.blobs.digests()) == [logged.record.manifest]  # content not copied into the store
    rec = logged.manifest["train.csv"]
    assert rec["checksum"] == "blake3" and rec["ref"] == f"file://{data}"
    assert logged.verify() == []

    out = Path(logged.download(str(tmp_path / "out")))  # references are fetched and checked, as W&B does
    assert (out / "train.csv").read_text() == "a,b\n1,2\n"

    data.write_text("a,b\n9,9\n")
    with pytest.raises(IntegrityError, match="train.csv"):
        logged.verify()
    with pytest.raises(IntegrityError, match="changed"):
        logged.download(str(tmp_path / "out2"), refs=True)
    assert not (tmp_path / "out2" / "train.csv").exists()
    data.unlink()
    with pytest.raises(IntegrityError, match="no longer exists"):
        logged.verify()


def test_missing_reference_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        Artifact("x").add_reference(f"file://{tmp_path}/nope.bin")


def test_reference_without_checksum(local_reg: Registry, tmp_path: Path) -> None:
    data = make_file(tmp_path / "big.bin", "x" * 10)
    art = Artifact("ds", type="dataset")
    art.add_reference(f"file://{data}", checksum=False)
    logged = local_reg.log(art, project="p")
    data.write_text("changed")
    assert logged.verify() == []  # nothing recorded, nothing to check


def test_memory_reference_and_folder(local_reg: Registry, memfs: Any, tmp_path: Path) -> None:
    memfs.pipe("/bucket/ds/a.txt", b"alpha")
    memfs.pipe("/bucket/ds/sub/b.txt", b"beta")
    art = Artifact("ds", type="dataset")
    entries = art.add_reference("memory://bucket/ds", name="data")
    assert sorted(e.path for e in entries) == ["data/a.txt", "data/sub/b.txt"]
    assert {e.path: e.digest for e in entries}["data/a.txt"] == hash_bytes(b"alpha")
    logged = local_reg.log(art, project="p")
    assert logged.verify() == []
    out = Path(logged.download(str(tmp_path / "out"), refs=True))
    assert (out / "data" / "sub" / "b.txt").read_bytes() == b"beta"
    memfs.pipe("/bucket/ds/sub/b.txt", b"BETA")
    with pytest.raises(IntegrityError, match="sub/b.txt"):
        logged.verify()
    with pytest.raises(IntegrityError):
        logged.download(str(tmp_path / "out2"), refs=True)
    assert not (tmp_path / "out2" / "data" / "sub" / "b.txt").exists()


def test_folder_reference_limit(memfs: Any) -> None:
    from nb_registry import InvalidSpecError

    for i in range(3):
        memfs.pipe(f"/many/{i}.txt", b"x")
    with pytest.raises(InvalidSpecError, match="max_objects"):
        Artifact("x").add_reference("memory://many", max_objects=2)


def test_s3_reference_records_etag(local_reg: Registry, s3fs_fs: Any, s3_bucket: str,
                                   s3_options: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # references open their URL with fsspec's defaults: point s3fs at the test server the way a user would
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_options["client_kwargs"]["endpoint_url"])
    url = f"s3://{s3_bucket}/models/m1.pt"
    s3fs_fs.pipe(url, b"weights v1")
    art = Artifact("remote", type="model")
    [entry] = art.add_reference(url)
    etag = s3fs_fs.info(url)["ETag"].strip('"')
    assert entry.digest.startswith(etag) and entry.size == 10
    logged = local_reg.log(art, project="p")
    rec = logged.manifest["m1.pt"]
    assert rec["checksum"] == "etag" and rec["ref"] == url
    assert logged.verify() == []
    out = Path(logged.download(str(tmp_path / "out"), refs=True))
    assert (out / "m1.pt").read_bytes() == b"weights v1"

    s3fs_fs.pipe(url, b"weights v2")
    s3fs_fs.invalidate_cache()
    with pytest.raises(IntegrityError, match="m1.pt"):
        logged.verify()
    with pytest.raises(IntegrityError, match="refusing"):
        logged.download(str(tmp_path / "out2"), refs=True)
    assert not (tmp_path / "out2" / "m1.pt").exists()


def test_s3_folder_reference(local_reg: Registry, s3fs_fs: Any, s3_bucket: str, s3_options: dict[str, Any],
                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_options["client_kwargs"]["endpoint_url"])
    for name in ("shard-0.bin", "shard-1.bin", "cfg/config.json"):
        s3fs_fs.pipe(f"{s3_bucket}/ckpt/{name}", name.encode())
    art = Artifact("ckpt", type="model")
    entries = art.add_reference(f"s3://{s3_bucket}/ckpt")
    assert sorted(e.path for e in entries) == ["cfg/config.json", "shard-0.bin", "shard-1.bin"]
    assert all(e.ref and e.ref.startswith(f"s3://{s3_bucket}/ckpt/") for e in entries)
    logged = local_reg.log(art, project="p")
    assert logged.verify() == []
    out = Path(logged.download(str(tmp_path / "out"), refs=True))
    assert (out / "cfg" / "config.json").read_bytes() == b"cfg/config.json"
    s3fs_fs.rm(f"{s3_bucket}/ckpt/shard-1.bin")
    s3fs_fs.invalidate_cache()
    with pytest.raises(IntegrityError, match="shard-1.bin"):
        logged.verify()


def test_artifact_entry_reference_records_dependency(local_reg: Registry, tmp_path: Path) -> None:
    m1 = Artifact("m1")
    m1.add_file(make_file(tmp_path / "m1.json", "{}"))
    m1 = local_reg.log(m1, project="p")
    ens = Artifact("ens", type="ensemble")
    [entry] = ens.add_reference(m1.get_path("m1.json"))
    assert entry.ref == "nbr://p/m1:v0/m1.json"
    ens = local_reg.log(ens, project="p")
    assert ens.dependencies == ["p/m1:v0"]
    assert ens.get_path("m1.json").digest == m1.get_path("m1.json").digest
    # the file is part of the ensemble: downloaded without refs=True
    assert (Path(ens.download(str(tmp_path / "o"))) / "m1.json").read_text() == "{}"
    with pytest.raises(NotFoundError):
        ens2 = Artifact("ens2")
        ens2.add_reference("nbr://p/m1:v0/nope.json")
        local_reg.log(ens2, project="p")


@pytest.fixture
def http_dir(tmp_path: Path) -> Any:
    """A real HTTP server on 127.0.0.1 serving a temporary folder."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_reference(local_reg: Registry, http_dir: Any, tmp_path: Path) -> None:
    folder, base = http_dir
    make_file(folder / "labels.txt", "cat\ndog\n")
    art = Artifact("labels", type="dataset")
    [entry] = art.add_reference(f"{base}/labels.txt")
    assert entry.digest == hash_bytes(b"cat\ndog\n") and entry.path == "labels.txt"
    logged = local_reg.log(art, project="p")
    assert logged.verify() == []
    out = Path(logged.download(str(tmp_path / "out"), refs=True))
    assert (out / "labels.txt").read_text() == "cat\ndog\n"
    make_file(folder / "labels.txt", "cat\ncow\n")
    with pytest.raises(IntegrityError, match="labels.txt"):
        logged.verify()
    with pytest.raises(IntegrityError):
        logged.download(str(tmp_path / "out2"), refs=True)
    assert not (tmp_path / "out2" / "labels.txt").exists()


def test_an_unreachable_http_reference_is_not_called_missing() -> None:
    import socket

    with socket.socket() as s:  # a port that nothing listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    art = Artifact("r")
    with pytest.raises(StorageError, match="could not be reached") as info:
        art.add_reference(f"http://127.0.0.1:{port}/model.bin")
    assert f"http://127.0.0.1:{port}/model.bin" in str(info.value) and info.value.__cause__ is not None


def test_a_file_uri_with_percent_encoded_characters_is_found(local_reg: Registry, tmp_path: Path) -> None:
    """Path.as_uri() encodes a space, '=' and '!' (RFC 8089); the path they name is what is read."""
    data = make_file(tmp_path / "my data" / "split=train!.csv", "a,b\n1,2\n")
    uri = data.as_uri()
    assert "%20" in uri and "%3D" in uri and "%21" in uri
    art = Artifact("ds", type="dataset")
    [entry] = art.add_reference(uri)
    assert entry.digest == hash_bytes(b"a,b\n1,2\n")
    make_file(tmp_path / "my data" / "sub dir" / "x=1.txt", "x")
    folder = art.add_reference((tmp_path / "my data").as_uri(), name="folder")
    assert sorted(e.path for e in folder) == ["folder/split=train!.csv", "folder/sub dir/x=1.txt"]
    logged = local_reg.log(art, project="p")
    assert logged.verify() == []
    out = Path(logged.download(str(tmp_path / "out"), refs=True))
    assert (out / entry.path).read_text() == "a,b\n1,2\n"
    assert (out / "folder" / "sub dir" / "x=1.txt").read_text() == "x"


def test_a_reference_without_checksum_warns_when_downloaded(local_reg: Registry, tmp_path: Path) -> None:
    data = make_file(tmp_path / "big.bin", "x" * 10)
    art = Artifact("ds", type="dataset")
    art.add_reference(f"file://{data}", checksum=False)
    logged = local_reg.log(art, project="p")
    with pytest.warns(UserWarning, match="without a checksum .* downloaded unchecked") as caught:
        logged.download(str(tmp_path / "out"), refs=True)
    assert str(data) in str(caught[0].message) and "size changed" not in str(caught[0].message)
    data.write_text("changed")
    with pytest.warns(UserWarning, match=r"size changed since it was logged \(10 bytes then, 7 now\)"):
        logged.download(str(tmp_path / "out2"), refs=True)
    assert (tmp_path / "out2" / "big.bin").read_text() == "changed"
