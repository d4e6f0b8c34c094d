"""Metadata shards through TinyDB: transactions that are all-or-nothing, readers that see other writers,
logs that keep every line, and damaged files reported, never reset. Run on a folder, memory:// and a real
S3 server (where there is no lock: every write is a conditional PUT)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tinydb.table import Document

from nb_registry import CorruptMetadataError, Registry
from nb_registry.store import open_files
from nb_registry.store.files import LocalFiles
from nb_registry.store.shards import Shards, Tx


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
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Shards, Shards]:
    a, b = _files_pair(request.param, request, tmp_path)
    return Shards(a), Shards(b)


def put(shards: Shards, rel: str, table: str, doc: dict[str, Any], doc_id: int = 1) -> None:
    def write(tx: Tx) -> None:
        t = tx.table(rel, table)
        t.remove(doc_ids=[doc_id])
        t.insert(Document(doc, doc_id=doc_id))

    shards.transact(write)


class TestShardsContract:
    def test_write_then_read_through_tinydb(self, two_stores: tuple[Shards, Shards]) -> None:
        a, _ = two_stores
        put(a, "collections/p/x.json", "versions", {"v": 0})
        assert a.read("collections/p/x.json") == {"versions": {"1": {"v": 0}}}
        assert a.table("collections/p/x.json", "versions").all() == [{"v": 0}]
        assert a.listdir("collections/p") == ["x.json"]
        assert a.exists("collections/p/x.json") and not a.exists("collections/p/y.json")

    def test_reader_sees_other_writers(self, two_stores: tuple[Shards, Shards]) -> None:
        a, b = two_stores
        rel = "collections/p/x.json"
        for i in range(3):
            put(a, rel, "n", {"i": i})
            assert b.listdir("collections/p") == ["x.json"]  # fills any listing cache b keeps
            assert a.listdir("collections/p") == ["x.json"]
            assert b.read(rel)["n"]["1"]["i"] == i  # b's parse cache must notice each change
            put(b, rel, "m", {"i": i})
            assert a.read(rel)["m"]["1"]["i"] == i

    def test_writes_need_a_transaction(self, two_stores: tuple[Shards, Shards]) -> None:
        a, _ = two_stores
        with pytest.raises(RuntimeError):
            a.table("x.json", "t").insert({"x": 1})
        assert not a.exists("x.json")

    def test_failed_transaction_writes_nothing_and_leaves_every_cache(self, two_stores: tuple[Shards, Shards]) -> None:
        a, b = two_stores
        put(a, "x.json", "t", {"ok": True})
        put(a, "y.json", "t", {"ok": True})

        def half_edit(tx: Tx) -> None:
            tx.table("x.json", "t").update({"ok": False}, doc_ids=[1])  # staged, then the function fails
            tx.table("y.json", "t").update({"ok": False}, doc_ids=[1])
            raise ValueError("boom")

        with pytest.raises(ValueError):
            a.transact(half_edit)
        for rel in ("x.json", "y.json"):
            assert a.read(rel) == {"t": {"1": {"ok": True}}}  # not the half-edited copy
            assert b.read(rel) == {"t": {"1": {"ok": True}}}

    def test_a_value_that_cannot_be_stored_writes_nothing(self, two_stores: tuple[Shards, Shards]) -> None:
        """A lone surrogate (what Python makes of a non-UTF-8 file name) fails the encoding: nothing is written
        and the next transaction on that shard works (the process is not poisoned)."""
        from nb_registry import InvalidSpecError

        a, b = two_stores
        put(a, "x.json", "t", {"name": "fine"})
        with pytest.raises(InvalidSpecError, match="nothing was written"):
            put(a, "x.json", "t", {"name": "bad \udcff name"})
        assert a.read("x.json") == b.read("x.json") == {"t": {"1": {"name": "fine"}}}
        put(a, "x.json", "t", {"name": "again"})
        assert b.read("x.json") == {"t": {"1": {"name": "again"}}}

    def test_journal_records_each_write(self, two_stores: tuple[Shards, Shards]) -> None:
        a, b = two_stores

        def two(tx: Tx) -> None:
            tx.table("one.json", "t").insert({})
            tx.table("two.json", "t").insert({})

        a.transact(two)
        lines, offset = b.journal_since(0)
        assert lines == ["one.json", "two.json"]
        assert b.journal_since(offset) == ([], offset)

    def test_a_damaged_journal_line_does_not_stop_readers(self, two_stores: tuple[Shards, Shards]) -> None:
        a, b = two_stores
        put(a, "one.json", "t", {})
        a.files.append("journal.log", b"\xff\xfe not utf-8\n")
        put(a, "two.json", "t", {})
        assert b.journal_since(0)[0] == ["one.json", "two.json"]

    def test_appends_from_threads_are_all_kept_and_survive_compaction(
            self, two_stores: tuple[Shards, Shards], monkeypatch: pytest.MonkeyPatch) -> None:
        """Appends without any lock (prediction logs) never overwrite each other, on any backend; folding an
        object store's parts into its base keeps every line, in order."""
        from concurrent.futures import ThreadPoolExecutor

        from nb_registry.store import objects

        a, b = two_stores
        monkeypatch.setattr(objects, "COMPACT_AFTER", 5)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: a.files.append("predictions/x.jsonl", f"line {i}\n".encode()), range(24)))
        assert sorted(b.files.read_from("predictions/x.jsonl", 0).decode().splitlines()) == sorted(f"line {i}" for i in range(24))
        if isinstance(a.files, objects.ObjectFiles):
            assert len(a.files._parts("predictions/x.jsonl")) < 24  # folded along the way, nothing lost above
        for i in range(6):
            put(a, f"j{i}.json", "t", {})
        lines, _ = b.journal_since(0)
        assert lines == [f"j{i}.json" for i in range(6)]
        if isinstance(a.files, objects.ObjectFiles):
            assert len(a.files._parts("journal.log")) < 5

    def test_a_reader_racing_a_compaction_counts_nothing_twice_and_offsets_hold(
            self, two_stores: tuple[Shards, Shards], monkeypatch: pytest.MonkeyPatch) -> None:
        """The reader lists the log's parts, then a writer folds them into the base before the reader fetches the
        base: the base says which parts it holds, so nothing is read twice, and the byte offsets a reader keeps
        (the journal's) mean the same before and after a compaction."""
        from nb_registry.store import objects

        a, b = two_stores
        monkeypatch.setattr(objects, "COMPACT_AFTER", 4)
        for i in range(3):
            put(a, f"j{i}.json", "t", {})
        lines, offset = b.journal_since(0)
        assert lines == ["j0.json", "j1.json", "j2.json"]
        if isinstance(b.files, objects.ObjectFiles):
            size_before = b.files.size("journal.log")
            real_parts = objects.ObjectFiles._parts
            raced = []

            def parts_then_compaction(self: Any, rel: str) -> list[str]:
                listed = real_parts(self, rel)
                if self is b.files and rel == "journal.log" and not raced:
                    raced.append(len(listed))
                    put(a, "j3.json", "t", {})  # the 4th part: compacts the 3 listed ones and itself
                return listed

            monkeypatch.setattr(objects.ObjectFiles, "_parts", parts_then_compaction)
            assert b.files.read_from("journal.log", 0).decode().splitlines() == ["j0.json", "j1.json", "j2.json", "j3.json"]
            assert raced == [3] and real_parts(a.files, "journal.log") == []  # the race happened: all folded
            monkeypatch.setattr(objects.ObjectFiles, "_parts", real_parts)
            assert b.files.size("journal.log") == size_before + len("j3.json\n")
        else:
            put(a, "j3.json", "t", {})
        assert b.journal_since(offset)[0] == ["j3.json"]
        put(a, "j4.json", "t", {})
        assert b.journal_since(offset)[0] == ["j3.json", "j4.json"]

    def test_parts_keep_append_order_whatever_the_clock_says(
            self, two_stores: tuple[Shards, Shards], monkeypatch: pytest.MonkeyPatch) -> None:
        """Writers on machines whose clocks disagree: parts are numbered, not timed."""
        import time

        a, b = two_stores
        clock = iter(range(10**12, 0, -10**9))  # each append sees an earlier time than the one before
        monkeypatch.setattr(time, "time_ns", lambda: next(clock))
        for i in range(5):
            put(a if i % 2 else b, f"c{i}.json", "t", {})
        assert b.journal_since(0)[0] == [f"c{i}.json" for i in range(5)]

    def test_damaged_shard_is_reported_not_reset(self, two_stores: tuple[Shards, Shards]) -> None:
        a, b = two_stores
        put(a, "collections/p/x.json", "t", {})
        a.files.write("collections/p/x.json", b"{not json")
        for store in (a, b):
            with pytest.raises(CorruptMetadataError, match=r"collections/p/x\.json"):
                store.read("collections/p/x.json")
            with pytest.raises(CorruptMetadataError):
                put(store, "collections/p/x.json", "t", {})
        assert a.files.read("collections/p/x.json")[0] == b"{not json"

    @pytest.mark.parametrize("content", ['"a string"', '{"t": [1, 2]}', '{"t": {"1": "not a doc"}}', "[1, 2]"])
    def test_json_of_the_wrong_shape_is_damage_naming_the_file(self, two_stores: tuple[Shards, Shards], content: str) -> None:
        a, b = two_stores
        a.files.write("models/m.json", content.encode())
        for store in (a, b):
            with pytest.raises(CorruptMetadataError, match=r"models/m\.json"):
                store.read("models/m.json")


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
    """While one process holds a local registry's lock, another one's transaction waits for it."""
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
        shards = Shards(LocalFiles(meta))
        seen = shards.transact(lambda tx: tx.peek("owner.json"))  # blocks until the holder is done
        assert seen == {"owner": {"1": {"who": "first"}}}
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0
