"""The small files that hold metadata, and the lock around writing them.

Two implementations of one contract: :class:`LocalFiles` (a folder: ``os.replace`` for atomic
writes, ``fsync`` of file and folder, ``O_APPEND`` for logs, a ``filelock`` for writers) and
:class:`FsspecFiles` (any fsspec URL: ``memory://`` with an in-process lock, object stores with a
lock object created by a conditional PUT, ``If-None-Match: *``). Each file has a *token* that
changes whenever the file does, so readers can keep parsed copies and re-read only on change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
import uuid
from typing import Any, Hashable, Iterator

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import LockTimeoutError

LOCK_TIMEOUT = float(os.environ.get("NB_REGISTRY_LOCK_TIMEOUT", "120"))


class Files:
    """Contract: paths are relative to the metadata root and use ``/``."""

    url: str

    def token(self, rel: str) -> Hashable | None: ...
    def read(self, rel: str) -> tuple[bytes | None, Hashable | None]: ...
    def write(self, rel: str, data: bytes) -> None: ...
    def append(self, rel: str, data: bytes, durable: bool = True, sole_writer: bool = False) -> None:
        """Append ``data``; ``sole_writer``: no other process appends to ``rel`` (it may then be compacted without the lock)."""
        ...
    def read_from(self, rel: str, offset: int) -> bytes: ...
    def listdir(self, rel: str) -> list[str]: ...
    def delete(self, rel: str) -> None: ...
    def lock(self) -> contextlib.AbstractContextManager[None]: ...
    def size(self, rel: str) -> int:
        """The file's size in bytes (0 when it does not exist)."""
        ...

    def describe(self, rel: str) -> str:
        return f"{self.url.rstrip('/')}/{rel}"


class LocalFiles(Files):
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.url = self.root
        os.makedirs(self.root, exist_ok=True)
        import filelock  # the one dependency for cross-process locks: it handles stale locks and platforms

        self._lock = filelock.FileLock(os.path.join(self.root, ".lock"), timeout=LOCK_TIMEOUT)
        self._timeout_exc = filelock.Timeout

    def _p(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def token(self, rel: str) -> Hashable | None:
        try:
            st = os.stat(self._p(rel))
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def size(self, rel: str) -> int:
        try:
            return os.stat(self._p(rel)).st_size
        except FileNotFoundError:
            return 0

    def read(self, rel: str) -> tuple[bytes | None, Hashable | None]:
        try:
            with open(self._p(rel), "rb") as f:
                st = os.fstat(f.fileno())
                return f.read(), (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            return None, None

    def write(self, rel: str, data: bytes) -> None:
        path = self._p(rel)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(folder)

    def append(self, rel: str, data: bytes, durable: bool = True, sole_writer: bool = False) -> None:
        path = self._p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)

    def read_from(self, rel: str, offset: int) -> bytes:
        try:
            with open(self._p(rel), "rb") as f:
                f.seek(offset)
                return f.read()
        except FileNotFoundError:
            return b""

    def listdir(self, rel: str) -> list[str]:
        try:
            return sorted(os.listdir(self._p(rel)))
        except FileNotFoundError:
            return []

    def delete(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._p(rel))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        try:
            self._lock.acquire()
        except self._timeout_exc:
            raise LockTimeoutError(
                f"another writer has held the registry lock {self._lock.lock_file} for over {LOCK_TIMEOUT:.0f} s"
            ) from None
        try:
            yield
        finally:
            self._lock.release()


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_MEMORY_LOCKS: dict[str, threading.RLock] = {}


class FsspecFiles(Files):
    """Metadata on any fsspec filesystem (``memory://``, ``s3://`` ...).

    Object stores cannot append, so an append-only log (the journal, the content index, prediction
    logs) is a base object plus one small object per append under ``<name>.parts/``, named by time:
    an append is one PUT whatever the log's length, and concurrent appenders never overwrite each
    other. A writer holding the lock folds the parts into the base every ``COMPACT_AFTER`` appends.
    """

    STALE_AFTER = 60.0  # a lock object not renewed for this long was left by a dead writer (the holder renews it)
    PARTS = ".parts"
    COMPACT_AFTER = 200
    CHECK_EVERY = 32  # appends without the lock between two looks at how many parts a log has
    # A compacted base starts with a header naming the parts folded into it, so that a reader who
    # listed the parts just before a compaction does not count them twice:
    #   "#nbr-folded <10-digit header length> name,name,...\n"
    FOLDED = b"#nbr-folded "

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, root = fsspec.core.url_to_fs(url, **storage_options)
        self.root = root.rstrip("/")
        self._memory = "memory" in (self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,))
        self._tlock = _MEMORY_LOCKS.setdefault(self.url, threading.RLock())
        self._depth = 0
        self._headers: dict[str, tuple[Any, tuple[int, set[str]] | None]] = {}
        self._unordered_appends = 0

    def _p(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def token(self, rel: str) -> Hashable | None:
        if not self._memory:
            self.fs.invalidate_cache(self._p(rel))  # a listing cached by ls() would hide other writers' changes
        try:
            info = self.fs.info(self._p(rel))
        except FileNotFoundError:
            return None
        if self._memory:
            return None  # memory files carry no change marker: always re-read (they are in RAM anyway)
        return (info.get("ETag") or info.get("etag"), info.get("size"), str(info.get("LastModified") or info.get("mtime")))

    def size(self, rel: str) -> int:
        """The log's length in bytes as :meth:`read_from` counts them (compaction does not change it)."""
        parts = self._parts(rel, detail=True)
        try:
            info = self.fs.info(self._p(rel))
        except FileNotFoundError:
            return sum(int(i.get("size") or 0) for _, i in parts)
        header = self._header(rel, info)
        folded = header[1] if header else set()
        body = int(info["size"]) - (header[0] if header else 0)
        return body + sum(int(i.get("size") or 0) for p, i in parts if p.rsplit("/", 1)[-1] not in folded)

    def _header(self, rel: str, info: dict[str, Any]) -> tuple[int, set[str]] | None:
        """(length, folded part names) of a compacted base's header; read once per version of the base."""
        key = (self._p(rel), info.get("ETag") or info.get("etag"), info.get("size"), str(info.get("LastModified") or info.get("mtime")))
        cached = self._headers.get(key[0])
        if cached is not None and cached[0] == key and not self._memory:
            return cached[1]
        head = bytes(self.fs.cat_file(self._p(rel), start=0, end=len(self.FOLDED) + 10))
        header = None
        if head.startswith(self.FOLDED):
            length = int(head[len(self.FOLDED):])
            raw = bytes(self.fs.cat_file(self._p(rel), start=0, end=length))
            header = self._parse_header(raw)
        self._headers[key[0]] = (key, header)
        return header

    def _parse_header(self, data: bytes) -> tuple[int, set[str]] | None:
        if not data.startswith(self.FOLDED):
            return None
        n = len(self.FOLDED)
        length = int(data[n:n + 10])
        names = data[n + 11:length - 1].decode()
        return length, set(names.split(",")) if names else set()

    def _parts(self, rel: str, detail: bool = False) -> list[Any]:
        """The log's appended parts, oldest first: paths, or (path, info) with ``detail``."""
        folder = self._p(rel + self.PARTS)
        try:
            found = self.fs.ls(folder, detail=True, refresh=True)
        except FileNotFoundError:
            return []
        found = sorted((i["name"], i) for i in found if i.get("type") != "directory")
        return found if detail else [name for name, _ in found]

    def read(self, rel: str) -> tuple[bytes | None, Hashable | None]:
        try:
            tok = self.token(rel)
            return bytes(self.fs.cat_file(self._p(rel))), tok
        except FileNotFoundError:
            return None, None

    def write(self, rel: str, data: bytes) -> None:
        path = self._p(rel)
        parent = path.rsplit("/", 1)[0]
        with contextlib.suppress(Exception):
            self.fs.makedirs(parent, exist_ok=True)
        self.fs.pipe_file(path, data)  # one PUT: atomic on object stores
        self.fs.invalidate_cache(path)

    def append(self, rel: str, data: bytes, durable: bool = True, sole_writer: bool = False) -> None:
        """Add one part. A writer holding the lock (or the only writer of ``rel``) names it after the last
        part, so parts stay in append order whatever the machines' clocks say, and compacts the log."""
        ordered = bool(self._depth) or sole_writer
        parts = self._parts(rel) if ordered else []
        stamp = time.time_ns()
        if parts:
            stamp = max(stamp, int(parts[-1].rsplit("/", 1)[-1].split("-", 1)[0]) + 1)
        self.write(f"{rel}{self.PARTS}/{stamp:020d}-{uuid.uuid4().hex[:8]}", data)
        if ordered and len(parts) + 1 >= self.COMPACT_AFTER:
            self._compact(rel)
        elif not ordered:
            # Appenders without the lock (prediction logs from inference processes) list the parts now and
            # then, and fold them under the lock once there are enough; the base names what it folded, so
            # parts appended meanwhile are neither lost nor counted twice.
            self._unordered_appends += 1
            if self._unordered_appends % self.CHECK_EVERY == 0 and len(self._parts(rel)) >= self.COMPACT_AFTER:
                with self.lock():
                    if len(self._parts(rel)) >= self.COMPACT_AFTER:
                        self._compact(rel)

    def _log(self, rel: str) -> tuple[bytes, list[str]]:
        """The log's bytes and the parts not yet folded into its base.

        Parts are listed before the base is read: if a compaction lands in between, the new base names
        the parts it folded (skipped here); a part deleted by a later compaction makes us read again."""
        for _ in range(10):
            parts = self._parts(rel)
            base, _ = self.read(rel)
            base = base or b""
            header = self._parse_header(base)
            if header:
                base = base[header[0]:]
                parts = [p for p in parts if p.rsplit("/", 1)[-1] not in header[1]]
            chunks = self.fs.cat(parts, on_error="return") if parts else {}
            got = [chunks[p] if p in chunks else chunks.get(p.lstrip("/"), FileNotFoundError(p)) for p in parts]
            if not any(isinstance(c, BaseException) for c in got):
                return base + b"".join(bytes(c) for c in got), parts  # type: ignore[arg-type]
        raise OSError(f"{self.describe(rel)} kept changing while it was read (compacted by another writer)")

    def _compact(self, rel: str) -> None:
        """Fold the parts into the base object (under the lock: only one writer compacts)."""
        data, parts = self._log(rel)
        names = ",".join(p.rsplit("/", 1)[-1] for p in parts).encode()
        length = len(self.FOLDED) + 10 + 1 + len(names) + 1
        self.write(rel, self.FOLDED + b"%010d " % length + names + b"\n" + data)
        for p in parts:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(p)

    def read_from(self, rel: str, offset: int) -> bytes:
        return self._log(rel)[0][offset:]

    def listdir(self, rel: str) -> list[str]:
        try:
            return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self._p(rel), detail=False, refresh=True))
        except FileNotFoundError:
            return []

    def delete(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._p(rel))
        for p in self._parts(rel):
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(p)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self._tlock:
            if self._memory or self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            me = self._acquire_remote()
            stop = threading.Event()
            renew = threading.Thread(target=self._renew_remote, args=(me, stop), daemon=True, name="nb_registry-lock")
            renew.start()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                stop.set()
                renew.join()
                self.delete(".lock")

    def _lock_body(self, me: dict[str, Any]) -> bytes:
        return json.dumps(dict(me, at=time.time())).encode()

    def _renew_remote(self, me: dict[str, Any], stop: threading.Event) -> None:
        """While the lock is held, rewrite its time now and then: a long hold (a gc deleting many blobs, an
        upload under the lock) is not mistaken for a dead writer's lock by the others."""
        while not stop.wait(self.STALE_AFTER / 4):
            with contextlib.suppress(Exception):  # a missed renewal is retried; the next one is due soon
                self.fs.pipe_file(self._p(".lock"), self._lock_body(me))

    def _claim_stale(self, held: bytes, me: dict[str, Any]) -> bool:
        """Remove a dead writer's lock, if this waiter is the one allowed to.

        Several waiters may judge the same lock stale; deleting it is not conditional on object stores,
        so the one who removes it is the one who first creates a marker named after the stale lock's
        content. Without that, a slow waiter could delete the lock another waiter had just taken."""
        marker = self._p(f".lock.takeover/{hashlib.sha256(held).hexdigest()[:40]}")
        if not _create_or_exists(self.fs, marker, self._lock_body(me)):
            return False  # another waiter removes it; go on waiting for the lock itself
        removed = False
        try:
            with contextlib.suppress(FileNotFoundError):
                if bytes(self.fs.cat_file(self._p(".lock"))) == held:  # still the dead writer's, unchanged
                    self.fs.rm_file(self._p(".lock"))
                    removed = True
        finally:
            # The marker only guards this check-and-delete. A waiter that creates it again later finds
            # the dead lock gone (or replaced by a live one, whose content differs) and removes nothing.
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(marker)
        return removed

    def _acquire_remote(self) -> dict[str, Any]:
        me = {"host": socket.gethostname(), "pid": os.getpid(), "id": uuid.uuid4().hex}
        deadline = time.monotonic() + LOCK_TIMEOUT
        delay = 0.01
        seen, seen_since = None, 0.0  # the lock's content as last read, and since when (on our own clock)
        while True:
            if _create_or_exists(self.fs, self._p(".lock"), self._lock_body(me)):
                return me
            # A live holder rewrites the lock every STALE_AFTER/4 s. One left unchanged for STALE_AFTER, timed
            # by this machine's clock (other machines' clocks may disagree), belongs to a dead writer.
            with contextlib.suppress(FileNotFoundError):
                held = bytes(self.fs.cat_file(self._p(".lock")))
                if held != seen:
                    seen, seen_since = held, time.monotonic()
                elif time.monotonic() - seen_since > self.STALE_AFTER:
                    seen = None
                    if self._claim_stale(held, me):
                        continue
            if time.monotonic() > deadline:
                raise LockTimeoutError(f"another writer has held the registry lock {self._p('.lock')} for over {LOCK_TIMEOUT:.0f} s")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _create_or_exists(fs: Any, path: str, data: bytes) -> bool:
    """Create ``path`` only if it does not exist (one atomic conditional PUT); False if it existed."""
    try:
        fs.pipe_file(path, data, mode="create")
        return True
    except (FileExistsError, OSError) as e:
        if not isinstance(e, FileExistsError) and "PreconditionFailed" not in repr(e) and "412" not in str(e):
            raise
        return False


def open_files(url: str, **storage_options: Any) -> Files:
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    if isinstance(fs, LocalFileSystem):
        return LocalFiles(path)
    return FsspecFiles(url, **storage_options)
