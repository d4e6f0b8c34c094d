"""Real OS processes: several writers at once, and a writer killed with SIGKILL in the middle of a log."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nb_registry import Artifact, NotFoundError, Registry

WRITER = textwrap.dedent("""
    import os, sys, time
    from nb_registry import Artifact, Registry
    root, who, count, start_file, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    reg = Registry(root)
    while not os.path.exists(start_file):  # everyone starts at the same moment
        time.sleep(0.005)
    for i in range(count):
        path = os.path.join(tmp, f"{who}-{i}.txt")
        with open(path, "w") as f:
            f.write(f"writer {who} log {i}")
        art = Artifact("shared", type="model", metadata={"who": who, "i": i})
        art.add_file(path, name="weights.txt")
        logged = reg.log(art, project="proj", aliases=[f"w{who}"])
        print(logged.version, flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")
def test_many_processes_log_to_one_collection(tmp_path: Path) -> None:
    root = str(tmp_path / "reg")
    reader = Registry(root)  # a warm reader opened before the writers start
    start = tmp_path / "go"
    writers, per = 6, 10
    procs = []
    for w in range(writers):
        work = tmp_path / f"w{w}"
        work.mkdir()
        procs.append(subprocess.Popen([sys.executable, "-c", WRITER, root, str(w), str(per), str(start), str(work)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    time.sleep(0.3)
    start.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(out.split())
    reported = [v for out in outs for v in out]
    assert len(reported) == writers * per
    assert sorted(reported, key=lambda v: int(v[1:])) == [f"v{n}" for n in range(writers * per)]  # distinct, contiguous

    for r in (reader, Registry(root)):
        versions = r.versions("proj/shared")
        assert [a.version for a in versions] == [f"v{n}" for n in range(writers * per)]
        seen = {(a.metadata["who"], a.metadata["i"]) for a in versions}
        assert seen == {(str(w), i) for w in range(writers) for i in range(per)}  # nothing lost
        for w in range(writers):  # each writer's alias points at its last log
            assert r.artifact(f"proj/shared:w{w}").metadata == {"who": str(w), "i": per - 1}
        assert r.artifact("proj/shared:latest").version == f"v{writers * per - 1}"
    fresh = Registry(root)
    for a in fresh.versions("proj/shared"):
        assert a.verify() == []
        assert len(fresh.find_by_content(a.get_path("weights.txt").digest)) == 1
    assert [c["name"] for c in fresh.collections()] == ["shared"]


CRASHER = textwrap.dedent("""
    import sys
    from nb_registry import Artifact, Registry
    reg = Registry(sys.argv[1])
    art = Artifact("big", type="model", metadata={"attempt": int(sys.argv[3])})
    art.add_file(sys.argv[2], name="model.bin")
    art.add_file(sys.argv[4], name="small.txt")
    reg.log(art, project="proj", aliases=["candidate"])
    print("logged", flush=True)
""")


def _check_consistent(root: str) -> int:
    """Every version listed resolves, its manifest loads, and its blobs verify. Returns the count."""
    reg = Registry(root)
    if not reg.collections():
        return 0
    versions = reg.versions("proj/big")
    assert [a.version for a in versions] == [f"v{n}" for n in range(len(versions))]
    for a in versions:
        art = reg.artifact(a.id)
        assert sorted(art.manifest) == ["model.bin", "small.txt"]
        assert art.verify() == []
    assert reg.artifact("proj/big:candidate").version == versions[-1].version
    return len(versions)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_writer_killed_mid_log_leaves_no_half_version(tmp_path: Path) -> None:
    root = str(tmp_path / "reg")
    big = tmp_path / "big.bin"
    chunk = os.urandom(1 << 20)
    with open(big, "wb") as f:
        for _ in range(200):
            f.write(chunk)
    kills = 0
    # kill as soon as the copy has started, then later and later, to land in different phases of the log
    phases = []
    for attempt, delay in enumerate([0.0, 0.0, 0.05, 0.15, 0.3]):
        with open(big, "r+b") as f:  # new content for each attempt
            f.write(attempt.to_bytes(4, "big"))
        small = tmp_path / f"small-{attempt}.txt"
        small.write_text(f"attempt {attempt}")
        proc = subprocess.Popen([sys.executable, "-c", CRASHER, root, str(big), str(attempt), str(small)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        parts = set(glob.glob(os.path.join(root, "blobs", "tmp", "*.part")))
        while set(glob.glob(os.path.join(root, "blobs", "tmp", "*.part"))) <= parts and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        out, _ = proc.communicate(timeout=30)
        phases.append(_check_consistent(root))
    assert kills >= 2, "the writer finished before it could be killed: use a larger file"
    assert phases[0] == 0  # killed while copying: no version at all

    # the registry still works: a new log succeeds and everything is consistent
    reg = Registry(root)
    before = len(reg.versions("proj/big")) if reg.collections() else 0
    art = Artifact("big", type="model")
    art.add_file(big, name="model.bin")
    art.add_file(tmp_path / "small-0.txt", name="small.txt")
    logged = reg.log(art, project="proj", aliases=["candidate"])
    assert logged.version == f"v{before}" or logged.deduplicated
    assert _check_consistent(root) >= 1
    assert logged.verify() == []
    assert (Path(logged.download(str(tmp_path / "out"))) / "model.bin").stat().st_size == 200 << 20


DIES_AROUND_COMMIT = textwrap.dedent("""
    import os, sys
    from nb_registry import Artifact, Registry
    from nb_registry.store.files import LocalFiles
    when = sys.argv[3]
    write, append = LocalFiles.write, LocalFiles.append
    committed = []

    def write_or_die(self, rel, data, **kw):
        if committed or (when == "before" and rel.startswith("collections/")):
            os._exit(9)  # the process ends here, as if killed
        write(self, rel, data, **kw)
        if rel.startswith("collections/"):
            committed.append(rel)  # the version is visible now; "after" dies at the next metadata write

    def append_or_die(self, rel, data, **kw):
        if committed:
            os._exit(9)
        append(self, rel, data, **kw)

    LocalFiles.write, LocalFiles.append = write_or_die, append_or_die
    reg = Registry(sys.argv[1])
    art = Artifact("m", type="model")
    art.add_file(sys.argv[2], name="w.bin")
    reg.log(art, project="proj")
""")


@pytest.mark.parametrize("when", ["before", "after"])
def test_writer_dying_around_commit(tmp_path: Path, when: str) -> None:
    """Dying just before the version's shard is written leaves nothing visible; once it is written,
    the version is complete: listed, found by content, verified (nothing is written after it)."""
    root = str(tmp_path / "reg")
    first = tmp_path / "first.bin"
    first.write_bytes(b"first content")
    proc = subprocess.run([sys.executable, "-c", DIES_AROUND_COMMIT, root, str(first), when],
                          capture_output=True, timeout=60)
    assert proc.returncode in (0, 9), proc.stderr
    reg = Registry(root)
    if when == "before":
        assert proc.returncode == 9
        with pytest.raises(NotFoundError):
            reg.artifact("proj/m")
        assert reg.find_by_content(str(first)) == []
    else:
        v0 = reg.artifact("proj/m:latest")
        assert v0.verify() == []
        assert [c["name"] for c in reg.collections("proj")] == ["m"]
        assert [(a.id, e) for a, e in reg.find_by_content(str(first))] == [("proj/m:v0", "w.bin")]
    # a new log works; a line the dead writer left must not match the version that takes its number
    second = tmp_path / "second.bin"
    second.write_bytes(b"second content")
    art = Artifact("m", type="model")
    art.add_file(second, name="w.bin")
    logged = reg.log(art, project="proj")
    assert logged.version == ("v0" if when == "before" else "v1")
    if when == "before":
        assert reg.find_by_content(str(first)) == []
    assert [(a.id, e) for a, e in reg.find_by_content(str(second))] == [(logged.id, "w.bin")]
    assert [c["name"] for c in reg.collections("proj")] == ["m"]


KILLED_BEFORE_SHARD = textwrap.dedent("""
    import os, signal, sys
    from nb_registry import Artifact, Registry
    from nb_registry.store import files

    real_write = files.LocalFiles.write

    def write(self, rel, data, *a, **k):
        if rel.startswith("collections/"):  # the collection is registered; its first version's shard is next
            os.kill(os.getpid(), signal.SIGKILL)
        return real_write(self, rel, data, *a, **k)

    files.LocalFiles.write = write
    reg = Registry(sys.argv[1])
    art = Artifact("first", type="model")
    art.add_file(sys.argv[2], name="model.bin")
    reg.log(art, project="proj", aliases=["candidate"])
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_writer_killed_between_registering_a_collection_and_its_first_version(tmp_path: Path) -> None:
    root = str(tmp_path / "reg")
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    proc = subprocess.run([sys.executable, "-c", KILLED_BEFORE_SHARD, root, str(model)], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    reg = Registry(root)
    assert any((r["project"], r["name"]) == ("proj", "first")
               for r in reg.meta.shards.read("registry.json")["collections"].values())  # the kill landed between the two writes
    assert reg.collections() == [] and reg.projects() == []  # no name listed that cannot be opened
    with pytest.raises(NotFoundError, match="project 'proj' has no artifacts"):
        reg.versions("proj/first")
    assert _check_consistent(root) == 0
    art = Artifact("first", type="model")
    art.add_file(model, name="model.bin")
    assert reg.log(art, project="proj").version == "v0"  # the next log of that name fills the row
    assert [c["name"] for c in Registry(root).collections()] == ["first"]
