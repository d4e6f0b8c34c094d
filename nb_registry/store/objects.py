"""Metadata on an object store without any lock: conditional PUTs and numbered log parts.

Every write names the state it replaces: ``If-Match: <ETag read>`` to replace an object,
``If-None-Match: *`` to create one. S3 (and the S3-compatible servers that implement conditional
writes) refuses a write whose condition fails with ``412 Precondition Failed``; that becomes
:class:`~nb_registry.store.files.Conflict` and the transaction runs again on fresh data. Nothing is
ever overwritten blindly, so no writer paused for minutes can clobber another's work: there is no
lease to expire.

An append-only log (the journal, the content index, prediction logs, a running run's history) is::

    <log>                       base: "#nbr-log through=<N> body=<B>\\n" + the folded lines
    <log>.parts/<000000000042>  part 42: one append, created with If-None-Match: *

An appender creates the next free number, so two appenders never take the same one and parts stay in
order whatever the machines' clocks say. Every ``COMPACT_AFTER`` parts an appender folds them into
the base (a conditional PUT of the base; a lost race is simply left to the winner) and then deletes
them; a reader skips parts the base says it holds, and reads again if a part vanished under it.
Offsets into a log count the bytes of its lines, so a compaction never moves them.

When the store is opened its conditional writes are probed: a store that accepts a write whose
condition is false (an S3-compatible server that ignores ``If-Match``) is opened read-only, since
several writers could then lose each other's changes.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from typing import Any, Hashable

import fsspec
import fsspec.asyn

from .files import ABSENT, Conflict, Files, ReadOnlyStoreError
from .storage_errors import guard_methods, storage_errors

HEADER = re.compile(rb"^#nbr-log through=(\d{12}) body=(\d{15})\n")
HEADER_LEN = len(b"#nbr-log through=000000000000 body=000000000000000\n")
PARTS = ".parts"
COMPACT_AFTER = 200
_PROBED: dict[str, bool] = {}


def _is_precondition_failure(e: BaseException) -> bool:
    """Whether a failed write was refused for its condition (HTTP 412, or 409 for a concurrent conditional
    write), however the filesystem library wrapped botocore's error."""
    seen: BaseException | None = e
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code", ""))
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (412, 409):
                return True
        seen = seen.__cause__ or seen.__context__
    text = str(e)
    return "pre-conditions you specified did not hold" in text or "PreconditionFailed" in text


class ObjectFiles(Files):
    has_lock = False

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, root = fsspec.core.url_to_fs(url, **storage_options)
        self.root = root.rstrip("/")
        self._next_part: dict[str, int] = {}
        self._bases: dict[str, tuple[Any, int, bytes, set[str]]] = {}
        self._part_cache: dict[str, bytes] = {}
        self._writable: bool | None = None  # probed at the first write: opening a registry touches no network

    @property
    def read_only(self) -> bool:
        if self._writable is None:
            self._writable = self._conditional_writes_work()
        return not self._writable

    def _p(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    # -- conditional writes ------------------------------------------------------------------
    def _conditional_writes_work(self) -> bool:
        """Whether the store refuses a write whose condition is false (probed once per process)."""
        key = self.url
        if key not in _PROBED:
            probe = self._p(f".probe/{uuid.uuid4().hex}")
            try:
                with storage_errors(self.url, "write to"):
                    self.fs.pipe_file(probe, b"1")
                try:
                    self.fs.pipe_file(probe, b"2", IfNoneMatch="*")
                    _PROBED[key] = False  # overwrote an existing object under If-None-Match
                except Exception as e:  # noqa: BLE001 - the refusal is the answer we hope for
                    _PROBED[key] = _is_precondition_failure(e) or isinstance(e, FileExistsError)
                if _PROBED[key]:
                    try:
                        self.fs.pipe_file(probe, b"3", IfMatch='"0123456789abcdef0123456789abcdef"')
                        _PROBED[key] = False
                    except Exception as e:  # noqa: BLE001
                        _PROBED[key] = _is_precondition_failure(e)
            except TypeError:
                _PROBED[key] = False  # this filesystem's writes take no conditions at all
            finally:
                with contextlib.suppress(Exception):
                    self.fs.rm_file(probe)
        return _PROBED[key]

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyStoreError(
                f"{self.url} cannot be written safely by several writers: its storage does not refuse a write whose "
                "condition is false (conditional PUT: If-Match / If-None-Match), so writers could lose each other's "
                "changes. It is open read-only. For a shared registry there, keep the metadata in PostgreSQL "
                "(root='postgresql://user@host/db', blobs='s3://...') or use a store with conditional writes (AWS S3).")

    def _etag(self, info: dict[str, Any]) -> str | None:
        etag = info.get("ETag") or info.get("etag")
        return str(etag) if etag else None

    def token(self, rel: str) -> Hashable | None:
        self.fs.invalidate_cache(self._p(rel))  # a listing cached by ls() would hide other writers' changes
        try:
            return self._etag(self.fs.info(self._p(rel)))
        except FileNotFoundError:
            return None

    def read(self, rel: str) -> tuple[bytes | None, Hashable | None]:
        """The object and its ETag, from one GET (so they always belong together)."""
        return self.reread(rel, None)[1:]

    def reread(self, rel: str, known: Hashable | None) -> tuple[bool, bytes | None, Hashable | None]:
        """One GET, conditional on ``known`` (``If-None-Match``): 304 Not Modified means unchanged."""
        bucket, key, _ = self.fs.split_path(self._p(rel))
        condition = {"IfNoneMatch": str(known)} if known is not None else {}
        try:
            resp = self.fs.call_s3("get_object", Bucket=bucket, Key=key, **condition)
        except FileNotFoundError:
            return True, None, None
        except OSError as e:
            if known is not None and "304" in str(e):
                return False, None, known
            raise
        body = resp["Body"]
        try:
            data = fsspec.asyn.sync(self.fs.loop, body.read)
        finally:
            body.close()
        return True, bytes(data), str(resp["ETag"])

    def write(self, rel: str, data: bytes, expect: Any = None) -> Hashable | None:
        self._check_writable()
        condition: dict[str, str] = {}
        if expect is ABSENT:
            condition = {"IfNoneMatch": "*"}
        elif expect is not None:
            condition = {"IfMatch": str(expect)}
        bucket, key, _ = self.fs.split_path(self._p(rel))
        try:
            resp = self.fs.call_s3("put_object", Bucket=bucket, Key=key, Body=data, **condition)
        except FileExistsError:
            raise Conflict(rel) from None
        except Exception as e:  # noqa: BLE001 - only a failed condition is a conflict
            if condition and _is_precondition_failure(e):
                raise Conflict(rel) from None
            raise
        finally:
            self.fs.invalidate_cache(self._p(rel))
        return str(resp["ETag"]) if resp.get("ETag") else None

    def delete(self, rel: str, expect: Any = None) -> None:
        self._check_writable()
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._p(rel))
        for name in self._parts(rel):
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self._p(f"{rel}{PARTS}/{name}"))

    def listdir(self, rel: str) -> list[str]:
        try:
            found = self.fs.ls(self._p(rel), detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in found)

    # -- logs --------------------------------------------------------------------------------
    def _parts(self, rel: str) -> list[str]:
        """The log's part names not yet deleted, in order: parts of 0.1.0 (named by time, ``<ns>-<hex>``)
        first, then numbered ones (zero-padded, so sorted by name is sorted by number)."""
        names = self.listdir(rel + PARTS)
        return sorted(n for n in names if not n.isdigit()) + sorted(n for n in names if n.isdigit())

    def _base(self, rel: str) -> tuple[int, bytes, set[str], Any]:
        """(last numbered part folded into the base, the base's lines, 0.1.0 parts it holds, its ETag or ABSENT).

        The base is re-read only when its ETag changes (at a compaction)."""
        cached = self._bases.get(rel)
        changed, raw, etag = self.reread(rel, cached[0] if cached else None)
        if etag is None:
            return 0, b"", set(), ABSENT
        if changed or cached is None:
            cached = self._bases[rel] = (etag, *_parse_base(raw or b""))
        return cached[1], cached[2], cached[3], etag

    def _part(self, rel: str, name: str) -> bytes:
        """One part (parts never change once written, so each is fetched once)."""
        key = f"{rel}{PARTS}/{name}"
        data = self._part_cache.get(key)
        if data is None:
            data = self._part_cache[key] = bytes(self.fs.cat_file(self._p(key)))
            if len(self._part_cache) > 4096:
                self._part_cache.pop(next(iter(self._part_cache)))
        return data

    def _log(self, rel: str) -> tuple[bytes, list[str], Any]:
        """(the whole log, the part names not folded into the base, the base's ETag). Parts are listed before
        the base is read: if a compaction lands in between, the base says which parts it holds; if a part
        vanished under us, a compaction folded it: read again."""
        for _ in range(20):
            parts = self._parts(rel)
            through, body, legacy_folded, etag = self._base(rel)
            live = [p for p in parts if (int(p) > through if p.isdigit() else p not in legacy_folded)]
            try:
                chunks = [self._part(rel, p) for p in live]
            except FileNotFoundError:
                continue
            return body + b"".join(chunks), live, etag
        raise OSError(f"{self.describe(rel)} kept changing while it was read (compacted by other writers)")

    def append(self, rel: str, data: bytes, durable: bool = True) -> None:
        self._check_writable()
        n = self._next_part.get(rel)
        if n is None:
            numbered = [p for p in self._parts(rel) if p.isdigit()]
            n = int(numbered[-1]) + 1 if numbered else self._base(rel)[0] + 1
        while True:
            try:
                self.write(f"{rel}{PARTS}/{n:012d}", data, expect=ABSENT)
                break
            except Conflict:
                n += 1  # another appender took it
        self._next_part[rel] = n + 1
        if n % COMPACT_AFTER == 0:
            self._compact(rel)

    def _compact(self, rel: str) -> None:
        """Fold the parts into the base with a conditional PUT; a writer that loses the race leaves it to the winner."""
        data, live, etag = self._log(rel)
        numbered = [p for p in live if p.isdigit()]
        if not live:
            return
        through = int(numbered[-1]) if numbered else self._base(rel)[0]
        header = b"#nbr-log through=%012d body=%015d\n" % (through, len(data))
        try:
            self.write(rel, header + data, expect=etag)
        except Conflict:
            return
        for p in live:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self._p(f"{rel}{PARTS}/{p}"))

    def read_from(self, rel: str, offset: int) -> bytes:
        return self._log(rel)[0][offset:]

    def size(self, rel: str) -> int:
        return len(self._log(rel)[0])


LEGACY_FOLDED = b"#nbr-folded "


def _parse_base(raw: bytes) -> tuple[int, bytes, set[str]]:
    """A base object: (last numbered part it holds, its lines, 0.1.0 parts it holds)."""
    m = HEADER.match(raw)
    if m:
        return int(m.group(1)), raw[HEADER_LEN:], set()
    if raw.startswith(LEGACY_FOLDED):  # written by 0.1.0: "#nbr-folded <10-digit length> name,name,...\n"
        n = len(LEGACY_FOLDED)
        length = int(raw[n:n + 10])
        names = raw[n + 11:length - 1].decode()
        return 0, raw[length:], set(names.split(",")) if names else set()
    return 0, raw, set()


# every request to the object store: its failures (no credentials, no bucket, unreachable) are one StorageError
guard_methods(ObjectFiles, ("token", "reread", "write", "delete", "listdir", "append", "read_from", "size"))
