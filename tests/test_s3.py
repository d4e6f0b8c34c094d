"""A registry whose root is an S3 bucket (moto's real S3 server over HTTP): a team sharing one bucket."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import make_file

from nb_registry import Artifact, IntegrityError, NotFoundError, Registry
from nb_registry.store.hashing import hash_bytes


@pytest.fixture
def s3_root(s3_bucket: str) -> str:
    return f"s3://{s3_bucket}/reg"


def _reg(root: str, opts: dict[str, Any], cache: Path, own_fs: bool = False) -> Registry:
    # own_fs: a separate S3FileSystem (own listing cache), as another machine or process would have
    extra = {"skip_instance_cache": True} if own_fs else {}
    return Registry(root, cache_dir=str(cache), **opts, **extra)


def test_log_resolve_download_on_s3(s3_root: str, s3_options: dict[str, Any], s3fs_fs: Any, tmp_path: Path) -> None:
    reg = _reg(s3_root, s3_options, tmp_path / "cache")
    art = Artifact("m", type="model", metadata={"acc": 0.9})
    art.add_file(make_file(tmp_path / "w.bin", "weights on s3"), name="w.bin")
    art.add_dir(make_file(tmp_path / "tok" / "vocab.txt", "a b").parent, name="tok")
    logged = reg.log(art, project="proj", aliases=["best"])
    assert logged.version == "v0"
    digest = hash_bytes(b"weights on s3")
    bucket_path = s3_root[len("s3://"):]
    assert s3fs_fs.cat_file(f"{bucket_path}/blobs/{digest[:2]}/{digest[2:]}") == b"weights on s3"
    assert s3fs_fs.exists(f"{bucket_path}/meta/collections/proj/m.json")

    got = reg.artifact("proj/m:best")
    assert got.digest == logged.digest and got.metadata == {"acc": 0.9}
    out = Path(got.download(str(tmp_path / "out")))
    assert (out / "w.bin").read_text() == "weights on s3"
    assert (out / "tok" / "vocab.txt").read_text() == "a b"
    assert got.verify() == []
    assert [(a.id, e) for a, e in reg.find_by_content(digest)] == [("proj/m:v0", "w.bin")]

    again = Artifact("m", type="model")
    again.add_file(tmp_path / "w.bin", name="w.bin")
    again.add_dir(tmp_path / "tok", name="tok")
    dup = reg.log(again, project="proj", aliases=["prod"])
    assert dup.version == "v0" and dup.deduplicated
    assert reg.artifact("proj/m:prod").version == "v0"


def test_two_registries_see_each_others_writes(s3_root: str, s3_options: dict[str, Any], tmp_path: Path) -> None:
    a = _reg(s3_root, s3_options, tmp_path / "cache-a")
    b = _reg(s3_root, s3_options, tmp_path / "cache-b", own_fs=True)
    assert a.store.blobs.fs is not b.store.blobs.fs
    with pytest.raises(NotFoundError):
        b.artifact("proj/m")
    for i in range(3):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        art = Artifact("m", type="model", metadata={"i": i})
        art.add_file(make_file(tmp_path / f"w{i}.bin", f"weights {i}"), name="w.bin")
        logged = writer.log(art, project="proj", aliases=["best"])
        assert logged.version == f"v{i}"
        assert [c["name"] for c in reader.collections("proj")] == ["m"]
        seen = reader.artifact("proj/m:best")
        assert (seen.version, seen.metadata) == (f"v{i}", {"i": i})
        assert (Path(seen.download(str(tmp_path / f"out{i}"))) / "w.bin").read_text() == f"weights {i}"
    assert [v.version for v in a.versions("proj/m")] == ["v0", "v1", "v2"]
    b.set_alias("proj/m:v0", "prod")
    assert a.artifact("proj/m:prod").version == "v0"


def test_tampered_blob_on_s3_is_refused(s3_root: str, s3_options: dict[str, Any], s3fs_fs: Any, tmp_path: Path) -> None:
    reg = _reg(s3_root, s3_options, tmp_path / "cache")
    art = Artifact("m", type="model")
    art.add_file(make_file(tmp_path / "w.bin", "precious"), name="w.bin")
    logged = reg.log(art, project="proj")
    digest = logged.get_path("w.bin").digest
    s3fs_fs.pipe_file(f"{s3_root[5:]}/blobs/{digest[:2]}/{digest[2:]}", b"PRECIOUS")
    with pytest.raises(IntegrityError, match="w.bin"):
        logged.verify()
    with pytest.raises(IntegrityError, match="w.bin"):
        logged.download(str(tmp_path / "out"))
    assert not (tmp_path / "out" / "w.bin").exists()


def test_memory_root_registry(memfs: Any, tmp_path: Path) -> None:
    reg = Registry("memory://team/reg", cache_dir=str(tmp_path / "cache"))
    art = Artifact("m", type="model")
    art.add_file(make_file(tmp_path / "w.bin", "in memory"), name="w.bin")
    reg.log(art, project="proj", aliases=["best"])
    other = Registry("memory://team/reg", cache_dir=str(tmp_path / "cache2"))
    got = other.artifact("proj/m:best")
    assert (Path(got.download(str(tmp_path / "out"))) / "w.bin").read_text() == "in memory"
    assert got.verify() == []
    assert any(k.startswith("/team/reg/blobs/") for k in memfs.store)


def test_fetched_blobs_are_read_offline(tmp_path: Path) -> None:
    """Blobs fetched once from S3 are served from the local cache after the server is gone."""
    import s3fs
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    opts = {"client_kwargs": {"endpoint_url": f"http://127.0.0.1:{port}"},
            "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1}}
    try:
        fs = s3fs.S3FileSystem(skip_instance_cache=True, **opts)
        fs.mkdir("offline")
        reg = Registry("s3://offline/reg", cache_dir=str(tmp_path / "cache"), skip_instance_cache=True, **opts)
        art = Artifact("m", type="model")
        art.add_file(make_file(tmp_path / "w.bin", "cached weights"), name="w.bin")
        reg.log(art, project="proj")
        got = reg.artifact("proj/m:latest")
        got.download(str(tmp_path / "first"))
    finally:
        server.stop()
    out = Path(got.download(str(tmp_path / "second")))
    assert (out / "w.bin").read_text() == "cached weights"
    assert (Path(got.get_path("w.bin").download(str(tmp_path / "third")))).read_text() == "cached weights"


WATCHER = """
import json, sys
from nb_registry import Registry
root, opts, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
run = Registry(root, cache_dir=sys.argv[4], **opts).run(path)
print(json.dumps({"state": run.state, "steps": [r["_step"] for r in run.history().to_records()]}))
"""


def test_live_metric_history_is_shared_through_the_bucket(s3_root: str, s3_options: dict[str, Any], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process (a colleague's machine) sees a running run's metrics before it finishes, then the table."""
    import json
    import subprocess
    import sys

    from nb_registry import runs as runs_mod
    from nb_registry.store.files import FsspecFiles

    def watch() -> dict[str, Any]:
        out = subprocess.run([sys.executable, "-c", WATCHER, s3_root, json.dumps(s3_options), run.path,
                              str(tmp_path / "cache-b")], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    monkeypatch.setattr(runs_mod, "FLUSH_ROWS", 10)
    monkeypatch.setattr(FsspecFiles, "COMPACT_AFTER", 4)  # the run folds its own parts as it goes
    trainer = _reg(s3_root, s3_options, tmp_path / "cache-a")
    run = runs_mod.start_run(trainer, project="proj", job_type="train")
    for step in range(55):
        run.log({"loss": 1 / (step + 1)})
    assert watch() == {"state": "running", "steps": list(range(50))}  # every flushed row (5 flushes), none twice
    history = f"runs/proj/{run.id}.history.jsonl"
    assert len(trainer.meta.files._parts(history)) < 4  # compacted along the way
    run.finish()
    assert watch() == {"state": "finished", "steps": list(range(55))}
    assert trainer.meta.files.read_from(history, 0) == b""  # the live log is gone, only the blob stays


HOLDER = """
import json, sys, time
from nb_registry.store.files import FsspecFiles, open_files
FsspecFiles.STALE_AFTER = 1.0
files = open_files(sys.argv[1], **json.loads(sys.argv[2]))
with files.lock():
    print("held", flush=True)
    time.sleep(3.0)  # a long hold, three times the stale age: the holder keeps renewing the lock
    files.write("holder-done", b"1")
"""


def test_a_long_held_lock_on_s3_is_not_taken_as_stale(s3_root: str, s3_options: dict[str, Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import subprocess
    import sys

    from nb_registry.store.files import FsspecFiles, open_files

    url = f"{s3_root}/meta"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, json.dumps(s3_options)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()  # type: ignore[union-attr]
        monkeypatch.setattr(FsspecFiles, "STALE_AFTER", 1.0)
        waiter = open_files(url, skip_instance_cache=True, **s3_options)
        with waiter.lock():
            done, _ = waiter.read("holder-done")
        assert done == b"1", "the waiter took the lock while its holder was still working"
    finally:
        assert holder.wait(30) == 0, holder.stderr.read()  # type: ignore[union-attr]


def test_the_lock_of_a_killed_writer_on_s3_is_taken_over(s3_root: str, s3_options: dict[str, Any],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer killed while holding the lock stops renewing it; a waiter takes it over once it has seen it
    unchanged for STALE_AFTER by its own clock (the dead writer's clock is not trusted)."""
    import json
    import signal
    import subprocess
    import sys
    import time

    from nb_registry.store.files import FsspecFiles, open_files

    url = f"{s3_root}/meta"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, json.dumps(s3_options)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held", holder.stderr.read()  # type: ignore[union-attr]
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    monkeypatch.setattr(FsspecFiles, "STALE_AFTER", 1.0)
    waiter = open_files(url, skip_instance_cache=True, **s3_options)
    started = time.monotonic()
    with waiter.lock():
        waited = time.monotonic() - started
        assert waiter.read("holder-done")[0] is None  # the killed holder never finished
    assert waited >= 1.0  # it waited for the lock to go stale; it did not take a live one
    with waiter.lock():  # released properly: the next acquisition is immediate
        pass


CONTENDER = """
import json, os, sys, time
from nb_registry.store.files import FsspecFiles, open_files
FsspecFiles.STALE_AFTER = 1.0
url, opts, marker, go = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
files = open_files(url, skip_instance_cache=True, **opts)
while not os.path.exists(go):
    time.sleep(0.005)
with files.lock():
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        print("OVERLAP", flush=True)
        raise SystemExit(1)
    time.sleep(0.3)
    os.close(fd)
    os.unlink(marker)
print("ok", flush=True)
"""


def test_waiters_taking_over_a_dead_lock_never_hold_it_together(s3_root: str, s3_options: dict[str, Any],
                                                                 s3fs_fs: Any, tmp_path: Path) -> None:
    """Five processes find a dead writer's lock; each judges it stale, but only one removes it, and the
    lock is then held by one process at a time (checked with an O_EXCL file while it is held)."""
    import json
    import subprocess
    import sys

    url = f"{s3_root}/meta"
    s3fs_fs.pipe_file(f"{url[len('s3://'):]}/.lock", json.dumps({"id": "dead", "at": 0}).encode())
    go, marker = tmp_path / "go", tmp_path / "held"
    procs = [subprocess.Popen([sys.executable, "-c", CONTENDER, url, json.dumps(s3_options), str(marker), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(5)]
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [out.strip() for out, _ in outs] == ["ok"] * 5, [err[-500:] for _, err in outs]


def test_a_second_waiter_cannot_remove_the_lock_the_first_took_over(s3_root: str, s3_options: dict[str, Any],
                                                                    s3fs_fs: Any) -> None:
    """The interleaving that made two holders: A and B both judge the dead lock stale; A removes it and
    takes the lock; B, a moment late, must not delete A's lock (object stores have no conditional delete)."""
    import json

    from nb_registry.store.files import open_files

    url = f"{s3_root}/meta"
    lock = f"{url[len('s3://'):]}/.lock"
    dead = json.dumps({"id": "dead", "at": 0}).encode()
    s3fs_fs.pipe_file(lock, dead)
    a = open_files(url, skip_instance_cache=True, **s3_options)
    b = open_files(url, skip_instance_cache=True, **s3_options)
    assert a._claim_stale(dead, {"id": "a"})  # A may remove it, and does
    assert not s3fs_fs.exists(lock)
    s3fs_fs.invalidate_cache()
    assert a._acquire_remote()["id"]  # A now holds the lock
    held_by_a = s3fs_fs.cat_file(lock)
    assert not b._claim_stale(dead, {"id": "b"})  # B judged the same dead lock stale: it may not remove anything
    s3fs_fs.invalidate_cache()
    assert s3fs_fs.cat_file(lock) == held_by_a
    markers = f"{url[len('s3://'):]}/.lock.takeover"
    assert not s3fs_fs.exists(markers) or s3fs_fs.ls(markers) == []  # no marker is left behind
