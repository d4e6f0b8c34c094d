"""Metadata shards: atomic writes, readers that see other writers, and damaged files reported, never reset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from nb_registry import CorruptMetadataError, Registry
from nb_registry.store.files import LocalFiles, open_files
from nb_registry.store.metadata import MetadataStore


def _files_pair(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, Any]:
    """Two independent handles on the same metadata root (as two processes would have)."""
    if kind == "file":
        return open_files(str(tmp_path / "meta")), open_files(str(tmp_path / "meta"))
    if kind == "memory":
        request.getfixturevalue("memfs")
        return open_files("memory://meta-test/meta"), open_files("memory://meta-test/meta")
    bucket = request.getfixturevalue("s3_bucket")
    opts = request.getfixturevalue("s3_options")
    url = f"s3://{bucket}/reg/meta"
    # skip_instance_cache: a second S3FileSystem with its own listing cache, like another process
    return open_files(url, **opts), open_files(url, skip_instance_cache=True, **opts)


@pytest.fixture(params=["file", "memory", "s3"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[MetadataStore, MetadataStore]:
    a, b = _files_pair(request.param, request, tmp_path)
    return MetadataStore(a), MetadataStore(b)


class TestMetadataContract:
    def test_update_then_read(self, two_stores: tuple[MetadataStore, MetadataStore]) -> None:
        a, _ = two_stores
        with a.transaction():
            a.update("collections/p/x.json", lambda d: d.setdefault("versions", {}).__setitem__("1", {"v": 0}))
        assert a.raw("collections/p/x.json") == {"versions": {"1": {"v": 0}}}
        assert a.table("collections/p/x.json", "versions").all() == [{"v": 0}]
        assert a.listdir("collections/p") == ["x.json"]
        assert a.exists("collections/p/x.json") and not a.exists("collections/p/y.json")

    def test_reader_sees_other_writers(self, two_stores: tuple[MetadataStore, MetadataStore]) -> None:
        a, b = two_stores
        rel = "collections/p/x.json"
        for i in range(3):
            with a.transaction():
                a.update(rel, lambda d, i=i: d.__setitem__("n", {"1": {"i": i}}))
            assert b.listdir("collections/p") == ["x.json"]  # fills any listing cache b keeps
            assert a.listdir("collections/p") == ["x.json"]
            assert b.raw(rel)["n"]["1"]["i"] == i  # b's parse cache must notice each change
            with b.transaction():
                b.update(rel, lambda d, i=i: d.__setitem__("m", {"1": {"i": i}}))
            assert a.raw(rel)["m"]["1"]["i"] == i

    def test_writes_need_a_transaction(self, two_stores: tuple[MetadataStore, MetadataStore]) -> None:
        a, _ = two_stores
        with pytest.raises(RuntimeError):
            a.update("x.json", lambda d: None)
        assert not a.exists("x.json")

    def test_failed_update_writes_nothing(self, two_stores: tuple[MetadataStore, MetadataStore]) -> None:
        a, b = two_stores
        with a.transaction():
            a.update("x.json", lambda d: d.__setitem__("t", {"1": {"ok": True}}))

        def half_edit(d: dict[str, Any]) -> None:
            d["t"]["1"]["ok"] = False
            raise ValueError("boom")

        with pytest.raises(ValueError), a.transaction():
            a.update("x.json", half_edit)
        assert a.raw("x.json") == {"t": {"1": {"ok": True}}}  # not the half-edited parsed copy
        assert b.raw("x.json") == {"t": {"1": {"ok": True}}}

    def test_journal_records_each_write(self, two_stores: tuple[MetadataStore, MetadataStore]) -> None:
        a, b = two_stores
        with a.transaction():
            a.update("one.json", lambda d: d.__setitem__("t", {}))
            a.update("two.json", lambda d: d.__setitem__("t", {}))
        lines, offset = b.journal_since(0)
        assert lines == ["one.json", "two.json"]
        assert b.journal_since(offset) == ([], offset)

    def test_appends_from_threads_are_all_kept_and_survive_compaction(
            self, two_stores: tuple[MetadataStore, MetadataStore], monkeypatch: pytest.MonkeyPatch) -> None:
        """Appends without the lock (prediction logs) never overwrite each other, on any backend;
        folding an object store's parts into its base keeps every line, in order."""
        from concurrent.futures import ThreadPoolExecutor

        from nb_registry.store.files import FsspecFiles

        a, b = two_stores
        monkeypatch.setattr(FsspecFiles, "COMPACT_AFTER", 5)
        monkeypatch.setattr(FsspecFiles, "CHECK_EVERY", 4)  # lock-free appenders fold the log now and then
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: a.append("predictions/x.jsonl", [f"line {i}"]), range(24)))
        assert sorted(b.read_log("predictions/x.jsonl").decode().splitlines()) == sorted(f"line {i}" for i in range(24))
        if isinstance(a.files, FsspecFiles):
            assert len(a.files._parts("predictions/x.jsonl")) < 24  # folded along the way, nothing lost above
        with a.transaction():  # a writer holding the lock compacts past COMPACT_AFTER parts
            for i in range(6):
                a.update(f"j{i}.json", lambda d: d.__setitem__("t", {}))
        lines, _ = b.journal_since(0)
        assert lines == [f"j{i}.json" for i in range(6)]
        if isinstance(a.files, FsspecFiles):
            assert len(a.files._parts("journal.log")) < 5

    def test_a_reader_racing_a_compaction_counts_nothing_twice_and_offsets_hold(
            self, two_stores: tuple[MetadataStore, MetadataStore], monkeypatch: pytest.MonkeyPatch) -> None:
        """The reader lists the log's parts, then a writer folds them into the base before the reader
        fetches the base: the folded parts are named in the new base, so nothing is read twice, and the
        byte offsets a reader keeps (the journal's) mean the same before and after a compaction."""
        from nb_registry.store.files import FsspecFiles

        a, b = two_stores
        monkeypatch.setattr(FsspecFiles, "COMPACT_AFTER", 4)
        with a.transaction():
            for i in range(3):
                a.update(f"j{i}.json", lambda d: d.__setitem__("t", {}))
        lines, offset = b.journal_since(0)
        assert lines == ["j0.json", "j1.json", "j2.json"]
        if isinstance(b.files, FsspecFiles):
            size_before = b.files.size("journal.log")
            real_parts = FsspecFiles._parts
            raced = []

            def parts_then_compaction(self: FsspecFiles, rel: str, detail: bool = False) -> list[Any]:
                listed = real_parts(self, rel, detail)
                if self is b.files and rel == "journal.log" and not raced:
                    raced.append(len(listed))
                    with a.transaction():  # the 4th part: compacts the 3 listed ones and itself
                        a.update("j3.json", lambda d: d.__setitem__("t", {}))
                return listed

            monkeypatch.setattr(FsspecFiles, "_parts", parts_then_compaction)
            assert b.read_log("journal.log").decode().splitlines() == ["j0.json", "j1.json", "j2.json", "j3.json"]
            assert raced == [3] and real_parts(a.files, "journal.log") == []  # the race happened: all folded
            monkeypatch.setattr(FsspecFiles, "_parts", real_parts)
            assert b.files.size("journal.log") == size_before + len("j3.json\n")
        else:
            with a.transaction():
                a.update("j3.json", lambda d: d.__setitem__("t", {}))
        assert b.journal_since(offset)[0] == ["j3.json"]
        with a.transaction():
            a.update("j4.json", lambda d: d.__setitem__("t", {}))
        assert b.journal_since(offset)[0] == ["j3.json", "j4.json"]

    def test_parts_keep_append_order_when_the_clock_goes_back(
            self, two_stores: tuple[MetadataStore, MetadataStore], monkeypatch: pytest.MonkeyPatch) -> None:
        """Writers on machines whose clocks disagree: under the lock a part is named after the last one."""
        from nb_registry.store import files as files_mod

        a, b = two_stores
        clock = iter(range(10**12, 0, -10**9))  # each append sees an earlier time than the one before
        monkeypatch.setattr(files_mod.time, "time_ns", lambda: next(clock))
        for i in range(5):
            with a.transaction():
                a.update(f"c{i}.json", lambda d: d.__setitem__("t", {}))
        assert b.journal_since(0)[0] == [f"c{i}.json" for i in range(5)]

    def test_damaged_shard_is_reported_not_reset(self, two_stores: tuple[MetadataStore, MetadataStore]) -> None:
        a, b = two_stores
        with a.transaction():
            a.update("collections/p/x.json", lambda d: d.__setitem__("t", {"1": {}}))
        a.files.write("collections/p/x.json", b"{not json")
        for store in (a, b):
            with pytest.raises(CorruptMetadataError, match=r"collections/p/x\.json"):
                store.raw("collections/p/x.json")
            with pytest.raises(CorruptMetadataError), store.transaction():
                store.update("collections/p/x.json", lambda d: d.__setitem__("t", {}))
        assert a.files.read("collections/p/x.json")[0] == b"{not json"


def test_local_write_is_atomic_and_leaves_no_tmp(tmp_path: Path) -> None:
    files = LocalFiles(str(tmp_path / "meta"))
    files.write("a/b.json", b"{}")
    files.write("a/b.json", b'{"x": {}}')
    assert sorted(os.listdir(tmp_path / "meta" / "a")) == ["b.json"]
    assert (tmp_path / "meta" / "a" / "b.json").read_bytes() == b'{"x": {}}'


def test_damaged_collection_shard_in_registry(tmp_path: Path) -> None:
    """Garbage in <root>/meta/collections/<project>/<name>.json: a clear error naming it; the file is untouched."""
    from nb_registry import Artifact

    root = tmp_path / "reg"
    reg = Registry(str(root))
    src = tmp_path / "m.txt"
    src.write_text("model")
    art = Artifact("m", type="model")
    art.add_file(src)
    reg.log(art, project="proj")
    shard = root / "meta" / "collections" / "proj" / "m.json"
    assert json.loads(shard.read_text())["versions"]
    garbage = b"\x00\x01 this is not json {"
    shard.write_bytes(garbage)
    for r in (reg, Registry(str(root))):  # warm reader and a fresh one
        with pytest.raises(CorruptMetadataError, match=str(shard).replace("\\", "\\\\")):
            r.artifact("proj/m:latest")
        again = Artifact("m", type="model")
        again.add_file(src)
        with pytest.raises(CorruptMetadataError, match="m.json"):
            r.log(again, project="proj")
    assert shard.read_bytes() == garbage


def test_damaged_registry_shard_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    reg = Registry(str(root))
    (root / "meta" / "registry.json").write_text("[1, 2")
    with pytest.raises(CorruptMetadataError, match="registry.json"):
        reg.collections()
    assert (root / "meta" / "registry.json").read_text() == "[1, 2"


def test_lock_serialises_processes(tmp_path: Path) -> None:
    """While one process holds the registry lock, another one's transaction waits for it."""
    meta = str(tmp_path / "meta")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from nb_registry.store.files import LocalFiles
            f = LocalFiles({meta!r})
            with f.lock():
                print("locked", flush=True)
                time.sleep(1.0)
                f.write("owner.json", b'{{"owner": {{"1": {{"who": "first"}}}}}}')
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        store = MetadataStore(LocalFiles(meta))
        with store.transaction():  # blocks until the holder is done
            seen = store.raw("owner.json")
        assert seen == {"owner": {"1": {"who": "first"}}}
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0
