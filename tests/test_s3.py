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
    from nb_registry.store import objects

    def watch() -> dict[str, Any]:
        out = subprocess.run([sys.executable, "-c", WATCHER, s3_root, json.dumps(s3_options), run.path,
                              str(tmp_path / "cache-b")], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    monkeypatch.setattr(runs_mod, "FLUSH_ROWS", 10)
    monkeypatch.setattr(objects, "COMPACT_AFTER", 4)  # the run folds its own parts as it goes
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


PAUSED_WRITER = """
import json, os, sys, time
from nb_registry import Artifact, Registry
from nb_registry.store.objects import ObjectFiles
root, opts, src, ready, go = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
write = ObjectFiles.write
paused = []

def pause_before_the_head(self, rel, data, expect=None):
    if rel == "collections/proj/m.json" and not paused:  # the commit point: after everything else is read
        paused.append(1)
        open(ready, "w").close()
        while not os.path.exists(go):  # stopped for as long as the test likes (a GC pause, a laptop lid)
            time.sleep(0.01)
    write(self, rel, data, expect)

ObjectFiles.write = pause_before_the_head
reg = Registry(root, cache_dir=sys.argv[6], **opts)
art = Artifact("m", type="model")
art.add_file(src, name="w.bin")
logged = reg.log(art, project="proj")
print(json.dumps({"version": logged.version, "conflicts": reg.meta.shards.conflicts}))
"""


def _wait_for(path: Path, proc: Any, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the writer never got there"
        time.sleep(0.01)


def test_a_writer_paused_mid_commit_cannot_clobber_the_one_that_went_ahead(
        s3_root: str, s3_options: dict[str, Any], tmp_path: Path) -> None:
    """No lease to expire: a writer stopped just before its commit (for as long as it takes) finds on waking that
    another writer committed meanwhile; its conditional PUT fails, it reads again and takes the next number.
    Nothing is overwritten and both versions are whole."""
    import json
    import subprocess
    import sys

    ready, go = tmp_path / "ready", tmp_path / "go"
    paused = subprocess.Popen([sys.executable, "-c", PAUSED_WRITER, s3_root, json.dumps(s3_options),
                               str(make_file(tmp_path / "slow.bin", "the slow writer")), str(ready), str(go),
                               str(tmp_path / "cache-slow")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(ready, paused)
    fast = _reg(s3_root, s3_options, tmp_path / "cache-fast", own_fs=True)
    art = Artifact("m", type="model")
    art.add_file(make_file(tmp_path / "fast.bin", "the fast writer"), name="w.bin")
    assert fast.log(art, project="proj").version == "v0"  # no lock to wait for
    go.touch()
    out, err = paused.communicate(timeout=120)
    assert paused.returncode == 0, err
    result = json.loads(out)
    assert result["version"] == "v1" and result["conflicts"] >= 1
    check = _reg(s3_root, s3_options, tmp_path / "cache-check", own_fs=True)
    got = {a.version: a.get_path("w.bin").download(str(tmp_path / "dl" / a.version)) for a in check.versions("proj/m")}
    assert {v: Path(p).read_text() for v, p in got.items()} == {"v0": "the fast writer", "v1": "the slow writer"}


def test_a_writer_killed_mid_commit_blocks_nobody(s3_root: str, s3_options: dict[str, Any], tmp_path: Path) -> None:
    """SIGKILL a writer in the middle of its commit: there is no lock object it could leave behind, so the next
    writer goes ahead at once and the registry holds exactly the versions that were committed."""
    import json
    import signal
    import subprocess
    import sys
    import time

    ready = tmp_path / "ready"
    victim = subprocess.Popen([sys.executable, "-c", PAUSED_WRITER, s3_root, json.dumps(s3_options),
                               str(make_file(tmp_path / "v.bin", "never committed")), str(ready), str(tmp_path / "never"),
                               str(tmp_path / "cache-v")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(ready, victim)
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    other = _reg(s3_root, s3_options, tmp_path / "cache-o", own_fs=True)
    art = Artifact("m", type="model")
    art.add_file(make_file(tmp_path / "o.bin", "committed"), name="w.bin")
    started = time.monotonic()
    assert other.log(art, project="proj").version == "v0"
    assert time.monotonic() - started < 10
    assert [a.version for a in other.versions("proj/m")] == ["v0"]
    assert other.artifact("proj/m:latest").verify() == []


CONCURRENT_WRITER = """
import json, sys
from nb_registry import Artifact, Registry
root, opts, me, n, cache = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
reg = Registry(root, cache_dir=cache, **opts)
out = []
for i in range(n):
    art = Artifact("shared", type="model", metadata={"by": me, "i": i})
    with art.new_file("w.txt") as f:
        f.write(f"{me}-{i}")
    out.append(reg.log(art, project="proj", aliases=[f"by-{me}"]).version)
print(json.dumps({"versions": out, "conflicts": reg.meta.shards.conflicts}))
"""


def test_concurrent_writers_on_a_bucket_get_unique_gapless_numbers(s3_root: str, s3_options: dict[str, Any],
                                                                    tmp_path: Path) -> None:
    """Real processes logging to one collection of one bucket, no lock anywhere: every version is kept, numbers
    are 0..N-1 without gaps or repeats, and each alias ends on its writer's last version. More writers and logs:
    NB_REGISTRY_STRESS=16 (processes; each logs that many versions)."""
    import json
    import os
    import subprocess
    import sys

    writers = int(os.environ.get("NB_REGISTRY_STRESS", "4"))
    per = max(3, writers)
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT_WRITER, s3_root, json.dumps(s3_options), f"w{k}", str(per),
                               str(tmp_path / f"cache-{k}")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(writers)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out))
    reg = _reg(s3_root, s3_options, tmp_path / "cache-check", own_fs=True)
    versions = reg.versions("proj/shared")
    assert [v.version for v in versions] == [f"v{i}" for i in range(writers * per)]
    assert sorted(f"{v.metadata['by']}-{v.metadata['i']}" for v in versions) == sorted(
        f"w{k}-{i}" for k in range(writers) for i in range(per))
    claimed = [v for r in results for v in r["versions"]]
    assert len(set(claimed)) == len(claimed) == writers * per
    for k, r in enumerate(results):
        assert reg.artifact(f"proj/shared:by-w{k}").version == r["versions"][-1]
    history = reg.alias_history("proj/shared")
    replay: dict[str, Any] = {}
    for e in history:
        replay[e["alias"]] = e["to"]
    assert {a: f"v{n}" for a, n in replay.items()} == {f"by-w{k}": r["versions"][-1] for k, r in enumerate(results)}
