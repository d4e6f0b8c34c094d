"""JSON shards read and written through TinyDB, in write transactions that are all-or-nothing for this process.

A *shard* is one small TinyDB file (``{table: {doc_id: document}}``) under the metadata root. This
module gives TinyDB what it lacks for a registry shared by many processes (TinyDB is not safe across
processes: its issues #72, #219, #341):

* :class:`ShardStorage`, the two-method storage TinyDB asks for, over a token-checked parse cache:
  a reader re-parses a shard only when its token (inode, size, mtime; an object store's ETag) changes,
  so resolving ``name:alias`` in a warm process costs one ``stat``.
* :meth:`Shards.transact`: run a function that edits any number of shards through TinyDB's tables;
  nothing reaches a file until it returns, then every shard it changed is written (atomic replace,
  fsync'd), each named first in the journal so readers never miss a change. Inside, reads see the
  files as they are now. If the function raises, or a write fails, nothing it staged is kept in any
  cache: the process sees exactly what is on disk.
* Two ways to keep writers apart, one algorithm: where the files have a lock (a local folder, whose
  ``filelock`` is shared by every process; ``memory://`` within its process) a transaction holds it;
  on an object store each write is a conditional PUT of exactly the objects the transaction read
  (``If-Match`` the ETag it read, ``If-None-Match: *`` for a new one), and a lost race re-runs the
  function on fresh data (:class:`Conflict`).

A shard that does not parse, or parses to the wrong shape, raises :class:`CorruptMetadataError`
naming the file; it is never reset.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from typing import Any, Callable, Hashable, Iterator, TypeVar

from tinydb.storages import Storage
from tinydb.table import Table

from ..errors import CorruptMetadataError, InvalidSpecError, LockTimeoutError, RegistryError
from .files import ABSENT, Conflict, Files

T = TypeVar("T")
JOURNAL = "journal.log"
MAX_ATTEMPTS = 200  # conflicts a transaction may lose before giving up (each retry backs off)


def damaged(describe: str, why: str) -> CorruptMetadataError:
    return CorruptMetadataError(f"metadata file {describe} is damaged ({why}); it was left as it is. "
                                "Restore it from a backup, or move it aside to drop what it held.")


def _check_shape(data: Any) -> str | None:
    """Why ``data`` is not a TinyDB file (``{table: {doc_id: {..}}}``), or None when it is one."""
    if not isinstance(data, dict):
        return f"the top level is a {type(data).__name__}, not an object of tables"
    for name, table in data.items():
        if not isinstance(table, dict):
            return f"table {name!r} is a {type(table).__name__}, not an object of documents"
        for doc_id, doc in table.items():
            if not isinstance(doc, dict):
                return f"document {doc_id!r} of table {name!r} is a {type(doc).__name__}, not an object"
    return None


def _encode(data: dict[str, Any], describe: str) -> bytes:
    try:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    except (UnicodeEncodeError, ValueError, TypeError, RecursionError) as e:
        # refused before anything was written: callers check values up front, this is the last line
        raise InvalidSpecError(f"cannot store {describe}: {type(e).__name__}: {e}; nothing was written") from None


class _Parsed:
    __slots__ = ("token", "data", "journal")

    def __init__(self, token: Hashable | None, data: dict[str, Any], journal: int | None) -> None:
        self.token, self.data, self.journal = token, data, journal


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A copy a transaction may edit: the tables are copied, the documents shared (:class:`SafeTable` never
    edits a document in place, it replaces it), so copying costs little even for a large shard."""
    return {name: dict(table) for name, table in data.items()}


class SafeTable(Table):
    """TinyDB's table, whose ``update`` replaces each document instead of editing it in place, so documents
    can be shared between a cached shard and a transaction's copy of it."""

    def update(self, fields: Any, cond: Any = None, doc_ids: Any = None) -> list[int]:  # type: ignore[override]
        if callable(fields):
            raise TypeError("SafeTable.update takes the fields to set, not a function")
        wanted = None if doc_ids is None else list(doc_ids)
        updated: list[int] = []

        def updater(table: dict[int, Any]) -> None:
            for doc_id in (wanted if wanted is not None else list(table)):
                if doc_id in table and (wanted is not None or cond is None or cond(table[doc_id])):
                    table[doc_id] = {**table[doc_id], **fields}
                    updated.append(doc_id)

        self._update_table(updater)
        return updated


class Tx:
    """One write transaction: what it read (with tokens, for conditional writes) and what it staged."""

    def __init__(self, shards: "Shards") -> None:
        self.shards = shards
        self.read_tokens: dict[str, Hashable | None] = {}
        self.staged: dict[str, dict[str, Any] | None] = {}  # rel -> new content (None: delete), in write order
        self.appends: list[tuple[str, bytes]] = []  # log lines written after the journal, before the shards
        self.after: list[Callable[[], None]] = []  # run once the writes are on disk
        self._seen: dict[str, dict[str, Any] | None] = {}
        self._copies: dict[str, dict[str, Any]] = {}

    def peek(self, rel: str) -> dict[str, Any] | None:
        """The shard as this transaction sees it, not to be edited (no copy is made)."""
        if rel in self.staged:
            return self.staged[rel]
        if rel in self._copies:
            return self._copies[rel]
        if rel not in self._seen:
            data, token = self.shards._fresh(rel)
            self.read_tokens.setdefault(rel, token)
            self._seen[rel] = data
        return self._seen[rel]

    def read(self, rel: str) -> dict[str, Any] | None:
        """The shard as staged so far, else as it is in its file now: a copy this transaction may edit
        (the same one each time, so every read in a transaction sees one state of the file)."""
        if rel in self.staged:
            return self.staged[rel]
        if rel not in self._copies:
            data = self.peek(rel)
            if data is None:
                return None
            self._copies[rel] = _copy(data)
        return self._copies[rel]

    def write(self, rel: str, data: dict[str, Any]) -> None:
        if rel not in self.read_tokens:
            self.peek(rel)  # a blind write still needs the token of what it replaces
        self.staged[rel] = data  # a shard keeps the place of its first write: writes land in that order

    def delete(self, rel: str) -> None:
        self.write(rel, None)  # type: ignore[arg-type]

    def append(self, rel: str, lines: list[str]) -> None:
        """Lines for an append-only log, written before any shard of this transaction (so a reader that
        sees the shards also finds the lines; lines of a transaction that then fails are harmless)."""
        if lines:
            self.appends.append((rel, ("\n".join(lines) + "\n").encode()))

    def table(self, rel: str, name: str) -> Table:
        """A TinyDB table of shard ``rel`` whose reads and writes go through this transaction."""
        return SafeTable(ShardStorage(self.shards, rel, self), name, cache_size=0)


class ShardStorage(Storage):
    """TinyDB's storage for one shard: cached reads outside a transaction, staged writes inside one."""

    def __init__(self, shards: "Shards", rel: str, tx: Tx | None = None) -> None:
        self.shards, self.rel, self.tx = shards, rel, tx

    def read(self) -> dict[str, Any] | None:
        return self.tx.read(self.rel) if self.tx is not None else self.shards.read(self.rel)

    def write(self, data: dict[str, Any]) -> None:
        if self.tx is None:
            raise RuntimeError("metadata is written inside Shards.transact()")
        self.tx.write(self.rel, data)

    def close(self) -> None:
        pass


class Shards:
    """The shards under one metadata root: cached reads, transactions, the journal."""

    def __init__(self, files: Files, normalize: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
                 validate: Callable[[str, dict[str, Any]], str | None] | None = None) -> None:
        self.files = files
        self.normalize = normalize or {}  # rel -> how to read an older layout of that shard
        self.validate = validate  # (rel, data) -> why the shard does not hold what it must, or None
        self._cache: dict[str, _Parsed] = {}
        self._local = threading.local()
        self.conflicts = 0  # lost conditional writes, retried (for benchmarks and tests)

    @property
    def url(self) -> str:
        return self.files.url

    # -- reading ---------------------------------------------------------------------------
    def _in_tx(self) -> bool:
        return bool(getattr(self._local, "depth", 0))

    def _parse(self, rel: str, raw: bytes) -> dict[str, Any]:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as e:
            raise damaged(self.files.describe(rel), str(e)[:200]) from None
        problem = _check_shape(data)
        if problem:
            raise damaged(self.files.describe(rel), problem)
        fix = self.normalize.get(rel)
        data = fix(data) if fix else data
        why = self.validate(rel, data) if self.validate else None
        if why:
            raise damaged(self.files.describe(rel), why)
        return data  # type: ignore[no-any-return]

    def read(self, rel: str) -> dict[str, Any] | None:
        """The parsed shard, from the cache while its token is unchanged. Never mutate it."""
        if self._in_tx():
            return self._fresh(rel)[0]
        return self._checked(rel)[0]

    def _checked(self, rel: str, journal: int | None = None) -> tuple[dict[str, Any] | None, Hashable | None]:
        """The shard and its token, re-read only when the token differs from the cached copy's."""
        cached = self._cache.get(rel)
        changed, raw, tok = self.files.reread(rel, cached.token if cached is not None else None)
        if not changed and cached is not None:
            return cached.data, cached.token
        return self._keep(rel, raw, tok, journal)

    def _keep(self, rel: str, raw: bytes | None, tok: Hashable | None,
              journal: int | None) -> tuple[dict[str, Any] | None, Hashable | None]:
        """Parse what was just read from a shard's file and cache it with its token (a missing file: forgotten)."""
        if raw is None:
            self._cache.pop(rel, None)
            return None, None
        data = self._parse(rel, raw)
        self._cache[rel] = _Parsed(tok, data, journal)
        return data, tok

    peek = read  # the name a transaction uses for reading without editing

    def _fresh(self, rel: str) -> tuple[dict[str, Any] | None, Hashable | None]:
        """The shard as it is in its file now, and its token (inside a transaction)."""
        cached = self._cache.get(rel)
        if self.files.has_lock:
            # Holding the lock, a copy is current if no writer appended to the journal since it was read
            # or written (every write does, under the lock) and nobody touched the file by hand (token).
            journal = self.files.size(JOURNAL)
            if cached is not None and cached.journal == journal and cached.token is not None \
                    and cached.token == self.files.token(rel):
                return cached.data, cached.token
        else:  # no lock: the file's token (an ETag) says whether a copy is current, in the same request
            return self._checked(rel)
        raw, tok = self.files.read(rel)
        return self._keep(rel, raw, tok, journal)

    def cached(self, rel: str) -> dict[str, Any] | None:
        """Like :meth:`read` (cache checked by token) even inside a transaction: for data a transaction
        only uses as a hint and checks again fresh (sealed chunks when looking for a digest)."""
        return self._checked(rel)[0]

    def table(self, rel: str, name: str) -> Table:
        """A TinyDB table for reading (query cache off: other processes change the file under it)."""
        return SafeTable(ShardStorage(self, rel), name, cache_size=0)

    def exists(self, rel: str) -> bool:
        return self.read(rel) is not None

    def listdir(self, rel: str) -> list[str]:
        return self.files.listdir(rel)

    # -- writing ---------------------------------------------------------------------------
    def transact(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn(tx)``, then write what it staged; see the module docstring. Re-entrant: a transaction
        inside another joins it (its writes land with the outer one's)."""
        outer = getattr(self._local, "tx", None)
        if outer is not None:
            return fn(outer)
        delay = 0.002
        for attempt in range(MAX_ATTEMPTS):
            tx = Tx(self)
            try:
                with self.files.lock(), self._entered(tx):
                    result = fn(tx)
                    if tx.staged or tx.appends:
                        self._commit(tx)
            except Conflict:
                self.conflicts += 1
                time.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 0.5)
                continue
            for hook in tx.after:
                hook()
            return result
        raise LockTimeoutError(f"gave up after {MAX_ATTEMPTS} conflicting writes to {self.url}: other writers kept "
                               "changing the same metadata; try again")

    @contextlib.contextmanager
    def _entered(self, tx: Tx) -> Iterator[None]:
        self._local.tx = tx
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1
            self._local.tx = None

    def _commit(self, tx: Tx) -> None:
        encoded = {rel: (None if data is None else _encode(data, self.files.describe(rel))) for rel, data in tx.staged.items()}
        # The journal names every shard first: a reader that sees the new journal re-reads them, so no
        # change is ever missed (it may be seen twice).
        self.files.append(JOURNAL, "".join(f"{rel}\n" for rel in encoded).encode(), durable=False)
        for rel, data in tx.appends:
            self.files.append(rel, data, durable=False)
        for rel, blob in encoded.items():
            expect = tx.read_tokens.get(rel)
            try:
                if blob is None:
                    self.files.delete(rel, expect=expect)
                    new_token = None
                else:
                    new_token = self.files.write(rel, blob, expect=ABSENT if expect is None else expect)
            except BaseException:
                self._cache.pop(rel, None)  # whatever the file holds now, it is read again
                raise
            if blob is None:
                self._cache.pop(rel, None)
            else:
                journal = self.files.size(JOURNAL) if self.files.has_lock else None
                token = new_token if new_token is not None else self.files.token(rel)
                self._cache[rel] = _Parsed(token, tx.staged[rel], journal)  # type: ignore[arg-type]

    # -- the journal -----------------------------------------------------------------------
    def journal_since(self, offset: int) -> tuple[list[str], int]:
        data = self.files.read_from(JOURNAL, offset)
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        lines = []
        for raw in data[:end].split(b"\n"):
            if raw:
                try:
                    lines.append(raw.decode())
                except UnicodeDecodeError:
                    continue  # one damaged line never stops readers of the rest
        return lines, offset + end

    def generation(self) -> int:
        return self.files.size(JOURNAL)


__all__ = ["Shards", "ShardStorage", "Tx", "Conflict", "JOURNAL", "damaged", "RegistryError"]
