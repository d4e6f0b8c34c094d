"""Metadata in TinyDB, sharded so that no write grows with the size of the registry.

Layout under the metadata root::

    registry.json                    TinyDB: collections (one small doc each), settings
    collections/<project>/<name>.json  TinyDB per collection: versions (doc_id = version+1), aliases
    runs/<project>/<run_id>.json     TinyDB per run: the run document
    models/<name>.json               TinyDB per registered model: links, aliases, history, automations
    content.idx                      append-only "digest<TAB>version_id<TAB>entry name" lines (find by content)
    journal.log                      append-only: the shard each write touches, in order

A write rewrites only its own small shard (atomic replace, fsync'd), under one registry-wide lock.
Readers keep each parsed shard with its file token (inode, size, mtime) and re-read only when the
token changes, so resolving ``name:alias`` in a warm process costs one ``stat``. Inside a write
transaction every read goes to the file, so version numbers are assigned from the latest state.
A shard that does not parse raises :class:`CorruptMetadataError` naming the file; it is never reset.
"""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any, Callable, Hashable, Iterator

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from ..errors import CorruptMetadataError
from .files import Files

JOURNAL = "journal.log"
CONTENT_INDEX = "content.idx"
NO_CHANGE = object()  # returned by an update() callback that decided to write nothing


class _Cached:
    __slots__ = ("token", "data", "journal")

    def __init__(self, token: Hashable | None, data: dict[str, Any], journal: int | None = None) -> None:
        # journal: the journal's length when this copy was read or written under the lock. Every
        # write appends to the journal under the lock, so if it is still that long, nothing changed.
        self.token, self.data, self.journal = token, data, journal


class ShardStorage(Storage):
    """A TinyDB storage over one metadata file, with a token-checked parse cache."""

    def __init__(self, store: "MetadataStore", rel: str) -> None:
        self.store, self.rel = store, rel

    def read(self) -> dict[str, Any] | None:
        return self.store._read_shard(self.rel)

    def write(self, data: dict[str, Any]) -> None:
        self.store._write_shard(self.rel, data)

    def close(self) -> None:
        pass


class MetadataStore:
    """Shard access, the write lock, the journal and the content index."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self._cache: dict[str, _Cached] = {}
        self._dbs: dict[str, TinyDB] = {}
        self._tx = threading.local()

    # -- shards -----------------------------------------------------------------------------
    def _in_tx(self) -> bool:
        return bool(getattr(self._tx, "depth", 0))

    def _read_shard(self, rel: str) -> dict[str, Any] | None:
        cached = self._cache.get(rel)
        journal = None
        if self._in_tx():
            journal = self.files.size(JOURNAL)
            if cached is not None and cached.journal == journal and cached.token is not None \
                    and cached.token == self.files.token(rel):
                return cached.data  # no writer since (journal), and the file was not touched by hand (token)
        elif cached is not None:
            tok = self.files.token(rel)
            if tok is not None and tok == cached.token:
                return cached.data
        raw, tok = self.files.read(rel)
        if raw is None:
            self._cache.pop(rel, None)
            return None
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
        except ValueError as e:
            raise CorruptMetadataError(
                f"metadata file {self.files.describe(rel)} is damaged ({e}); it was left as it is. "
                "Restore it from a backup, or move it aside to drop what it held."
            ) from None
        self._cache[rel] = _Cached(tok, data, journal)
        return data

    def _write_shard(self, rel: str, data: dict[str, Any]) -> None:
        if not self._in_tx():
            raise RuntimeError("metadata writes happen inside MetadataStore.transaction()")
        blob = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        self.files.append(JOURNAL, rel.encode() + b"\n", durable=False)  # before the shard: a reader never misses it
        try:
            self.files.write(rel, blob)
        except BaseException:
            self._cache.pop(rel, None)
            raise
        self._cache[rel] = _Cached(self.files.token(rel), data, self.files.size(JOURNAL))

    def db(self, rel: str) -> TinyDB:
        db = self._dbs.get(rel)
        if db is None:
            db = self._dbs[rel] = TinyDB(self, rel, storage=ShardStorage)
        return db

    def table(self, rel: str, name: str) -> Table:
        """A table with TinyDB's query cache off (other processes change the file under it)."""
        return self.db(rel).table(name, cache_size=0)

    def update(self, rel: str, change: "Callable[[dict[str, Any]], Any]") -> Any:
        """Read a shard fresh, let ``change`` edit its ``{table: {doc_id: doc}}`` dict, write it once.

        Several table edits become one atomic file replace. Must run inside :meth:`transaction`.
        The file stays in TinyDB's format, so ``table()`` reads it as usual."""
        if not self._in_tx():
            raise RuntimeError("metadata writes happen inside MetadataStore.transaction()")
        data = self._read_shard(rel) or {}  # parsed fresh from the file: inside a transaction
        try:
            result = change(data)
        except BaseException:
            self._cache.pop(rel, None)  # the callback may have half-edited the parsed copy
            raise
        if result is not NO_CHANGE:
            self._write_shard(rel, data)
        return result

    def raw(self, rel: str) -> dict[str, Any]:
        """The parsed shard (``{table: {doc_id: doc}}``) without TinyDB, for fast scans. Do not mutate."""
        return self._read_shard(rel) or {}

    def exists(self, rel: str) -> bool:
        return self.files.token(rel) is not None or self.files.read(rel)[0] is not None

    def listdir(self, rel: str) -> list[str]:
        return self.files.listdir(rel)

    def delete_shard(self, rel: str) -> None:
        if not self._in_tx():
            raise RuntimeError("metadata writes happen inside MetadataStore.transaction()")
        self.files.append(JOURNAL, rel.encode() + b"\n", durable=False)
        self.files.delete(rel)
        self._cache.pop(rel, None)
        self._dbs.pop(rel, None)

    # -- transactions -----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the registry-wide write lock; reads inside see the files as they are now."""
        with self.files.lock():
            self._tx.depth = getattr(self._tx, "depth", 0) + 1
            try:
                yield
            finally:
                self._tx.depth -= 1

    # -- append-only logs -------------------------------------------------------------------
    def append(self, rel: str, lines: list[str]) -> None:
        if lines:
            self.files.append(rel, ("\n".join(lines) + "\n").encode())

    def generation(self) -> int:
        """A number that grows with every metadata write (the journal's length): poll it to refresh views."""
        return self.files.size(JOURNAL)

    def journal_since(self, offset: int) -> tuple[list[str], int]:
        data = self.files.read_from(JOURNAL, offset)
        end = data.rfind(b"\n") + 1  # ignore a line still being written
        lines = data[:end].decode().splitlines()
        return lines, offset + end

    def read_log(self, rel: str) -> bytes:
        return self.files.read_from(rel, 0)
