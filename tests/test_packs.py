"""Folders of many small files: packs, tree manifests, bulk stat checks, downloads, gc and repacking.

Real files, real processes (SIGKILL at chosen points, a concurrent log), a real S3 server and PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import nb_registry as nbr
from nb_registry import Artifact, Registry, retention
from nb_registry.manifest import NODE_FORMAT, TREE_FORMAT, encode, manifest_digest
from nb_registry.store.hashing import hash_bytes

ROOT = Path(__file__).resolve().parents[1]


def make_folder(path: Path, n: int, size: int = 512, tag: str = "") -> Path:
    for i in range(n):
        f = path / f"d{i % 7}" / f"f{i:05d}.bin"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(f"{tag}{i}:".encode() + os.urandom(size))
    return path


def log_folder(reg: Registry, folder: Path, name: str = "data", project: str = "p") -> Any:
    art = Artifact(name, type="dataset")
    art.add_dir(folder)
    return reg.log(art, project=project)


def pack_files(blob_root: Path) -> tuple[list[Path], list[Path]]:
    packs = blob_root / "packs"
    return sorted(packs.glob("*.pack")), sorted(packs.glob("*.idx"))


def same_tree(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) and all(
        (a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_small_files_are_packed_and_read_as_loose_ones(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    folder = make_folder(tmp_path / "src", 300)
    (folder / "big.bin").write_bytes(os.urandom(3 << 20))  # above the threshold: a loose blob
    reg = Registry(str(root))
    v0 = log_folder(reg, folder)
    packs, idx = pack_files(root / "blobs")
    assert len(packs) == 1 and [p.stem for p in idx] == [p.stem for p in packs]
    assert hash_bytes(packs[0].read_bytes()) == packs[0].stem  # a pack is named by its own digest
    big = v0.manifest["big.bin"]["digest"]
    assert (root / "blobs" / big[:2] / big[2:]).is_file()
    loose = [p for p in (root / "blobs").glob("??/*")]
    manifest = reg.manifests.objects(v0.record.manifest)  # 301 entries: a small tree of manifest nodes
    assert len(loose) == 1 + len(manifest) <= 6  # the large file and the manifest: no blob file for 300 small files
    assert v0.verify() == []
    out = Path(v0.download(str(tmp_path / "out")))
    assert same_tree(folder, out)
    one = v0.get_path("d3/f00003.bin").download(str(tmp_path / "one"))
    assert Path(one).read_bytes() == (folder / "d3" / "f00003.bin").read_bytes()
    found = reg.find_by_content(str(folder / "d1" / "f00001.bin"))
    assert [(a.id, e) for a, e in found] == [("p/data:v0", "d1/f00001.bin")]

    again = log_folder(reg, folder)  # unchanged: answered by the stat cache, nothing stored
    assert again.deduplicated and again.new_bytes == 0 and pack_files(root / "blobs")[0] == packs
    (folder / "d2" / "f00002.bin").write_bytes(b"changed")
    (folder / "new.txt").write_bytes(b"added")
    v1 = log_folder(reg, folder)
    assert v1.new_bytes == len(b"changed") + len(b"added")  # two files: stored loose, too few for a pack
    assert reg.diff("p/data:v0", "p/data:v1") | {"unchanged": None} == {
        "from": "p/data:v0", "to": "p/data:v1", "added": ["new.txt"], "removed": [], "changed": ["d2/f00002.bin"],
        "unchanged": None, "metadata": {}}
    # a fresh process (no in-memory index) reads them the same
    fresh = Registry(str(root))
    assert fresh.artifact("p/data:v0").verify() == [] and fresh.artifact("p/data:v1").verify() == []
    assert fresh.read_blob(v0.manifest["d5/f00005.bin"]["digest"]) == (folder / "d5" / "f00005.bin").read_bytes()


def test_a_packed_download_writes_files_and_a_second_one_copies_nothing(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "src", 200)
    reg = Registry(str(tmp_path / "reg"))
    v = log_folder(reg, folder)
    out = Path(v.download())  # the default folder in the cache, as %use --path downloads
    first = {p: p.stat() for p in out.rglob("*.bin")}
    assert len(first) == 200 and all(st.st_nlink == 1 for st in first.values())  # written, not linked to a pack
    assert Path(v.download()) == out
    assert {p: (st.st_ino, st.st_mtime_ns) for p, st in first.items()} == {
        p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*.bin")}  # nothing was written again
    victim = out / "d0" / "f00000.bin"
    os.chmod(victim, 0o644)
    victim.write_bytes(b"edited by the user")
    Path(v.download())
    assert victim.read_bytes() == (folder / "d0" / "f00000.bin").read_bytes()  # a changed file is restored


def test_a_link_in_place_of_a_packed_file_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "src", 40)
    v = log_folder(Registry(str(tmp_path / "reg")), folder)
    out = tmp_path / "out"
    v.download(str(out))
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    victim = out / "d0" / "f00000.bin"
    victim.unlink()
    victim.symlink_to(target)
    with pytest.raises(nbr.UnsafePathError, match="link"):
        v.download(str(out))
    assert target.read_text() == "keep me"


def test_damaged_packed_file_is_refused_by_download_and_named_by_verify(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "src", 40)
    root = tmp_path / "reg"
    reg = Registry(str(root))
    v = log_folder(reg, folder)
    (pack,), _ = pack_files(root / "blobs")
    os.chmod(pack, 0o644)
    data = bytearray(pack.read_bytes())
    data[10] ^= 0xFF  # inside the first file of the pack
    pack.write_bytes(bytes(data))
    with pytest.raises(nbr.IntegrityError, match="failed verification") as e:
        Registry(str(root)).artifact("p/data:v0").verify()
    assert str(e.value).count("missing or damaged") == 1
    with pytest.raises(nbr.IntegrityError, match="refusing to download"):
        Registry(str(root)).artifact("p/data:v0").download(str(tmp_path / "out"))
    assert v.id == "p/data:v0"


def test_a_large_folder_is_a_tree_manifest_and_one_change_writes_little(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "src", 6000, size=64)
    root = tmp_path / "reg"
    reg = Registry(str(root))
    v0 = log_folder(reg, folder)
    top = json.loads(reg.read_blob(v0.record.manifest))
    assert top["format"] == TREE_FORMAT and top["files"] == 6000
    entries = {n: {"digest": e["digest"], "size": e["size"]} for n, e in v0.manifest.items()}
    assert v0.digest == manifest_digest(entries)  # the version digest is the flat one, whatever the storage
    assert json.loads(encode(entries))["entries"] == entries

    def blob_bytes() -> int:
        return sum(p.stat().st_size for p in (root / "blobs").rglob("*") if p.is_file() and "tmp" not in p.parts)

    before = blob_bytes()
    (folder / "d4" / "f00004.bin").write_bytes(b"one change")
    v1 = Registry(str(root)).artifact("p/data:v0") and log_folder(Registry(str(root)), folder)
    added = blob_bytes() - before
    assert v1.version == "v1" and v1.new_bytes == len(b"one change")
    assert added <= len(b"one change") + (64 << 10), added  # the changed leaf and its parents, not 6,000 entries
    fresh = Registry(str(root))
    assert fresh.diff("p/data:v0", "p/data:v1")["changed"] == ["d4/f00004.bin"]
    assert len(fresh.artifact("p/data:v1").manifest) == 6000
    nodes = fresh.manifests.objects(v1.record.manifest)
    assert len(nodes) > 3 and all(json.loads(fresh.read_blob(d))["format"] in (TREE_FORMAT, NODE_FORMAT) for d in nodes)
    found = fresh.find_by_content(hash_bytes(b"one change"))
    assert [(a.id, e) for a, e in found] == [("p/data:v1", "d4/f00004.bin")]


def test_memory_store_packs(memfs: Any, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "src", 120)
    reg = Registry("memory://packs", cache_dir=str(tmp_path / "cache"))
    v = log_folder(reg, folder)
    assert len(memfs.glob("/packs/blobs/packs/*.pack")) == 1
    assert same_tree(folder, Path(v.download(str(tmp_path / "out"))))
    assert Registry("memory://packs", cache_dir=str(tmp_path / "cache2")).artifact("p/data:v0").verify() == []


class _Requests(logging.Handler):
    """The S3 requests the test server logs (werkzeug's request lines), by method."""

    def __init__(self, bucket: str) -> None:
        super().__init__(logging.INFO)
        self.bucket, self.lines = bucket, []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if f"/{self.bucket}" in msg:
            self.lines.append(msg)

    def count(self, method: str, part: str = "") -> int:
        return sum(1 for m in self.lines if f'"{method} /{self.bucket}/' in m and part in m)


def test_s3_first_log_of_many_small_files_is_a_few_puts(s3_bucket: str, s3_options: dict[str, Any],
                                                        tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "src", 400)
    url = f"s3://{s3_bucket}/reg"
    requests = _Requests(s3_bucket)
    log = logging.getLogger("werkzeug")
    level = log.level
    log.setLevel(logging.INFO)
    log.addHandler(requests)
    try:
        v = log_folder(Registry(url, cache_dir=str(tmp_path / "c1"), **s3_options), folder)
    finally:
        log.removeHandler(requests)
        log.setLevel(level)
    puts = requests.count("PUT")
    assert requests.count("PUT", "/reg/blobs/") <= 6  # one pack, its index, the manifest (a root and a few nodes)
    assert puts <= 0.05 * 400, requests.lines  # metadata included
    other = Registry(url, cache_dir=str(tmp_path / "c2"), **s3_options)  # another machine: nothing cached
    got = other.artifact("p/data:v0")
    assert same_tree(folder, Path(got.download(str(tmp_path / "out"))))
    assert got.verify() == [] and v.id == got.id
    assert list((tmp_path / "c2" / "blobs" / "packs").glob("*.pack"))  # fetched whole, once, into the cache


def test_postgres_metadata_with_packed_blobs_in_a_folder(pg_url: str, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "src", 150)
    blobs = str(tmp_path / "blobs")
    reg = Registry(pg_url, cache_dir=str(tmp_path / "c"), blobs=blobs)
    v = log_folder(reg, folder)
    assert len(pack_files(Path(blobs))[0]) == 1  # the blobs are where blobs= says; the database holds metadata only
    fresh = Registry(pg_url, cache_dir=str(tmp_path / "c2"), blobs=blobs)
    assert fresh.artifact("p/data:latest").verify() == []
    assert same_tree(folder, Path(fresh.artifact(v.id).download(str(tmp_path / "out"))))
    assert [a.id for a, _ in fresh.find_by_content(str(folder / "d0" / "f00000.bin"))] == [v.id]


def _half_dead(tmp_path: Path, root: Path) -> tuple[Registry, Path, Path]:
    """v0 of 'data' packs 40 files; v1 keeps 20 of them and adds 20 (another pack); v0 is then doomed."""
    a = make_folder(tmp_path / "a", 40)
    reg = Registry(str(root))
    log_folder(reg, a)
    b = tmp_path / "b"
    for i, f in enumerate(sorted(a.rglob("*.bin"))):
        dest = b / f.relative_to(a)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(f.read_bytes() if i % 2 == 0 else b"new " + os.urandom(600))
    log_folder(reg, b)
    retention.set_retention(reg, "data", keep_last=0, project="p")
    return reg, a, b


def test_gc_repacks_a_half_dead_pack_after_a_dry_run(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    reg, a, b = _half_dead(tmp_path, root)
    packs_before, _ = pack_files(root / "blobs")
    assert len(packs_before) == 2
    dry = retention.gc(reg, dry_run=True, grace_seconds=0)
    assert [v["artifact"] for v in dry["versions"]] == ["p/data:v0"]
    assert dry["packs"]["repacked"] == 1 and dry["packs"]["plan"][0]["dead_files"] == 20
    assert pack_files(root / "blobs")[0] == packs_before  # a dry run changes nothing
    young = retention.gc(reg, dry_run=True)  # within the grace period: packs are left alone
    assert young["packs"]["repacked"] == 0
    report = retention.gc(reg, dry_run=False, grace_seconds=0)
    assert report["packs"]["repacked"] == 1 and report["blobs"] >= 20
    packs_after, idx_after = pack_files(root / "blobs")
    assert len(packs_after) == 2 and set(packs_after) != set(packs_before) and len(idx_after) == 2
    fresh = Registry(str(root))
    assert fresh.artifact("p/data:v1").verify() == []
    assert same_tree(b, Path(fresh.artifact("p/data:v1").download(str(tmp_path / "out"))))
    assert retention.gc(fresh, dry_run=False, grace_seconds=0)["packs"]["repacked"] == 0  # nothing left to do


CONCURRENT_LOG = """
import sys, time
from pathlib import Path
import nb_registry as nbr
from nb_registry.artifacts import Artifacts

root, folder, marks = sys.argv[1:4]
real = Artifacts._store_entries

def store_then_wait(self, art):
    out = real(self, art)  # deduplicated against files of the pack gc is about to repack
    Path(marks, "stored").write_text(str(out[2]))
    while not Path(marks, "go").exists():
        time.sleep(0.01)
    return out

Artifacts._store_entries = store_then_wait
art = nbr.Artifact("other", type="dataset")
art.add_dir(folder)
logged = nbr.Registry(root).log(art, project="p")
print(logged.id)
"""


def test_gc_repacking_while_a_log_deduplicates_against_that_pack(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    reg, a, _ = _half_dead(tmp_path, root)
    marks = tmp_path / "marks"
    marks.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", CONCURRENT_LOG, str(root), str(a), str(marks)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(3000):
            if (marks / "stored").exists() or proc.poll() is not None:
                break
            import time

            time.sleep(0.01)
        assert (marks / "stored").read_text() == "0"  # every file of folder a was there already (v0's pack)
        report = retention.gc(reg, dry_run=False, grace_seconds=0)  # v0 goes; its pack is repacked without
        assert report["packs"]["repacked"] == 1  # the 20 files only the waiting log names
    finally:
        (marks / "go").write_text("")
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.strip() == "p/other:v0"
    fresh = Registry(str(root))
    assert fresh.artifact("p/other:v0").verify() == []  # the log stored again what the repack dropped
    assert same_tree(a, Path(fresh.artifact("p/other:v0").download(str(tmp_path / "out"))))
    assert fresh.artifact("p/data:v1").verify() == []


KILLED = """
import os, signal, sys
import nb_registry as nbr
from nb_registry import retention
from nb_registry.store import packs

root, folder, point = sys.argv[1:4]
real_put, real_remove = packs.Packs._put, packs.Packs.remove

def put(self, path, parts, fsync):
    if point == "mid-pack" and path.endswith(".pack"):
        half = b"".join(parts)[: sum(map(len, parts)) // 2]
        with open(os.path.join(self.root, "tmp", "killed.part"), "wb") as f:
            f.write(half)
            f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    if point == "before-index" and path.endswith(".idx"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_put(self, path, parts, fsync)

def remove(self, pack):
    if point == "repack-before-remove":
        os.kill(os.getpid(), signal.SIGKILL)
    if point == "repack-between-index-and-pack":
        os.unlink(self.path(pack, "idx"))
        os.kill(os.getpid(), signal.SIGKILL)
    return real_remove(self, pack)

packs.Packs._put, packs.Packs.remove = put, remove
reg = nbr.Registry(root)
if point.startswith("repack"):
    retention.gc(reg, dry_run=False, grace_seconds=0)
else:
    art = nbr.Artifact("killed", type="dataset")
    art.add_dir(folder)
    reg.log(art, project="p")
"""


def _everything_reads(root: Path) -> int:
    reg = Registry(str(root))
    n = 0
    for c in reg.collections():
        for v in reg.versions(f"{c['project']}/{c['name']}"):
            assert v.verify() == []
            n += 1
    return n


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("point", ["mid-pack", "before-index"])
def test_sigkill_while_a_pack_is_written_leaves_no_version_without_its_files(tmp_path: Path, point: str) -> None:
    root = tmp_path / "reg"
    reg = Registry(str(root))
    log_folder(reg, make_folder(tmp_path / "first", 30))
    folder = make_folder(tmp_path / "src", 50, tag="k")
    proc = subprocess.run([sys.executable, "-c", KILLED, str(root), str(folder), point], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert _everything_reads(root) == 1  # the killed log made no version
    packs, idx = pack_files(root / "blobs")
    if point == "before-index":
        assert len(packs) == 2 and len(idx) == 1  # a pack without an index: not in use
    partial = list((root / "blobs" / "tmp").glob("*.part"))
    assert len(partial) == (1 if point == "mid-pack" else 0)
    assert retention.gc(Registry(str(root)), dry_run=True, grace_seconds=0)["partial_files"] == 0  # young: kept
    for p in partial:  # as if the kill was two hours ago (a younger one may be a writer still copying)
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    report = retention.gc(Registry(str(root)), dry_run=False, grace_seconds=0)
    assert report["packs"]["unfinished"] == (1 if point == "before-index" else 0)
    assert report["partial_files"] == len(partial) and not any(p.exists() for p in partial)
    assert len(pack_files(root / "blobs")[0]) == 1 and _everything_reads(root) == 1
    again = log_folder(Registry(str(root)), folder, name="killed")  # logging again works and packs the files
    assert again.version == "v0" and _everything_reads(root) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("point", ["repack-before-remove", "repack-between-index-and-pack"])
def test_sigkill_while_repacking_loses_no_live_file(tmp_path: Path, point: str) -> None:
    root = tmp_path / "reg"
    reg, a, b = _half_dead(tmp_path, root)
    proc = subprocess.run([sys.executable, "-c", KILLED, str(root), "", point], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert _everything_reads(root) >= 1
    assert same_tree(b, Path(Registry(str(root)).artifact("p/data:v1").download(str(tmp_path / "out"))))
    report = retention.gc(Registry(str(root)), dry_run=False, grace_seconds=0)  # the next gc finishes the job
    packs, idx = pack_files(root / "blobs")
    assert len(packs) == len(idx) == 2, report
    assert _everything_reads(root) == 1


def test_a_registry_written_before_packs_takes_packed_versions(tmp_path: Path) -> None:
    import tarfile

    with tarfile.open(ROOT / "tests" / "data" / "registry-0.1.0.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    root = tmp_path / "registry"
    reg = Registry(str(root))
    before = retention.gc(reg, dry_run=True, grace_seconds=0)
    old = reg.artifact("legacy/ckpt:v0")
    assert old.verify() == [] and Path(old.download(str(tmp_path / "dl"))).joinpath("w.bin").read_text() == "weights 0"
    folder = make_folder(tmp_path / "src", 2000, size=32)
    v = log_folder(reg, folder, project="legacy")
    assert len(pack_files(root / "blobs")[0]) == 1
    fresh = Registry(str(root))
    assert fresh.artifact(v.id).verify() == [] and fresh.artifact("legacy/ckpt:v299").verify() == []
    report = retention.gc(fresh, dry_run=True, grace_seconds=0)
    assert report["blobs"] == before["blobs"] and report["digests"] == before["digests"]  # the new files are no garbage
    assert report["packs"]["repacked"] == report["packs"]["removed"] == 0


GC = """
import sys
from nb_registry import Registry, retention
print(retention.gc(Registry(sys.argv[1]), dry_run=False, grace_seconds=0)["packs"]["repacked"])
"""


def test_an_index_read_before_another_process_repacked_never_answers_for_the_old_pack(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    reg, a, b = _half_dead(tmp_path, root)
    v0 = reg.artifact("p/data:v0").manifest
    v1 = reg.artifact("p/data:v1").manifest
    dead = next(e["digest"] for n, e in v0.items() if v1[n]["digest"] != e["digest"])
    live = next(e["digest"] for n, e in v0.items() if v1[n]["digest"] == e["digest"])
    assert reg.blobs.exists(dead) and reg.blobs.exists(live)  # this process has read the index
    out = subprocess.run([sys.executable, "-c", GC, str(root)], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "1", out.stderr
    assert not reg.blobs.exists(dead)  # its pack is gone: not taken from the index read before
    assert reg.blobs.exists(live) and reg.read_blob(live) == (b / next(n for n, e in v1.items() if e["digest"] == live)).read_bytes()
    art = Artifact("again", type="dataset")
    art.add_dir(a)  # v0's files again: the dead ones are stored anew
    again = reg.log(art, project="p")
    assert again.new_bytes > 0 and again.verify() == []
