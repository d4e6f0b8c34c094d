"""The small files that hold metadata, and how writers are kept apart.

One contract, three implementations:

* :class:`LocalFiles`, a folder: ``os.replace`` for atomic writes, ``fsync`` of file and folder,
  ``O_APPEND`` for logs, and a ``filelock`` every writing process shares (``has_lock``).
* :class:`MemoryFiles`, ``memory://``: one process's RAM, an in-process lock.
* :class:`ObjectFiles`, an object store (S3 and S3-compatible servers): no lock at all. Every write
  is a conditional PUT (``If-Match`` the ETag that was read, ``If-None-Match: *`` for a new object);
  a lost race raises :class:`Conflict` and the caller re-runs its transaction on fresh data. An object
  store cannot append, so an append-only log is a base object plus numbered parts, each created with
  ``If-None-Match: *`` (two appenders never take the same number), folded into the base by a
  conditional PUT now and then. Where a store cannot write conditionally (checked when it is opened)
  the registry opens read-only.

Each file has a *token* that changes whenever the file does, so readers keep parsed copies and re-read
only on change. Paths are relative to the metadata root and use ``/``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from typing import Any, Hashable, Iterator

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import LockTimeoutError, RegistryError

LOCK_TIMEOUT = float(os.environ.get("NB_REGISTRY_LOCK_TIMEOUT", "120"))


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()  # ``expect=ABSENT``: write only if the file does not exist yet


class Conflict(Exception):
    """A conditional write found the object changed (or created) since it was read."""

    nb_registry_signal = True  # a signal to retry, not a storage failure (see storage_errors)


class ReadOnlyStoreError(RegistryError):
    """The storage cannot be written safely by several writers (no conditional writes)."""

    exit_code = 2


class Files:
    """The contract. ``expect`` on writes: None (unconditional), ABSENT, or a token from :meth:`read`;
    backends with a lock (``has_lock``) are written only under it and need no condition."""

    url: str
    has_lock: bool = True

    def token(self, rel: str) -> Hashable | None: ...
    def read(self, rel: str) -> tuple[bytes | None, Hashable | None]: ...

    def reread(self, rel: str, known: Hashable | None) -> tuple[bool, bytes | None, Hashable | None]:
        """(changed, content, token): the content only when the token differs from ``known`` (one request on
        object stores: a conditional GET)."""
        tok = self.token(rel)
        if known is not None and tok == known:
            return False, None, tok
        data, tok = self.read(rel)
        return True, data, tok

    def write(self, rel: str, data: bytes, expect: Any = None) -> Hashable | None:
        """Write ``data``; returns the new token when the write tells it (an object store's ETag), else None."""
    def delete(self, rel: str, expect: Any = None) -> None: ...
    def append(self, rel: str, data: bytes, durable: bool = True) -> None:
        """Append ``data`` (whole lines) to a log; any number of processes may append at once."""
    def read_from(self, rel: str, offset: int) -> bytes: ...
    def size(self, rel: str) -> int:
        """The log's length in bytes as :meth:`read_from` counts them (0 when it does not exist)."""
        ...
    def listdir(self, rel: str) -> list[str]: ...
    def lock(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def describe(self, rel: str) -> str:
        return f"{self.url.rstrip('/')}/{rel}"


def _full_disk(e: OSError, what: str) -> OSError:
    import errno

    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return OSError(e.errno, f"no space left to write {what}: nothing was changed; free some space and try again")
    return e


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
        except IsADirectoryError:
            raise RegistryError(f"metadata file {self._p(rel)} is a folder; move it aside") from None

    def write(self, rel: str, data: bytes, expect: Any = None) -> None:
        path = self._p(rel)
        folder = os.path.dirname(path)
        tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            os.makedirs(folder, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException as e:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if isinstance(e, OSError):
                raise _full_disk(e, path) from e
            raise
        fsync_dir(folder)

    def append(self, rel: str, data: bytes, durable: bool = True) -> None:
        path = self._p(rel)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise _full_disk(e, path) from e

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
        except (FileNotFoundError, NotADirectoryError):
            return []

    def delete(self, rel: str, expect: Any = None) -> None:
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


def fsync_dir(folder: str) -> None:
    """Make a folder's entries (a rename into it) durable; a filesystem that cannot is left as it is."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_MEMORY_LOCKS: dict[str, threading.RLock] = {}


class MemoryFiles(Files):
    """``memory://``: fsspec's process-wide RAM filesystem, one in-process lock per root."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, root = fsspec.core.url_to_fs(url, **storage_options)
        self.root = root.rstrip("/")
        self._lock = _MEMORY_LOCKS.setdefault(self.url, threading.RLock())
        self._versions: dict[str, int] = {}

    def _p(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def token(self, rel: str) -> Hashable | None:
        return None  # RAM files carry no change marker: always re-read (they are in RAM anyway)

    def read(self, rel: str) -> tuple[bytes | None, Hashable | None]:
        try:
            return bytes(self.fs.cat_file(self._p(rel))), None
        except FileNotFoundError:
            return None, None

    def write(self, rel: str, data: bytes, expect: Any = None) -> None:
        with self._lock:
            self.fs.pipe_file(self._p(rel), data)

    def delete(self, rel: str, expect: Any = None) -> None:
        with self._lock, contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._p(rel))

    def append(self, rel: str, data: bytes, durable: bool = True) -> None:
        with self._lock:
            before = self.read(rel)[0] or b""
            self.fs.pipe_file(self._p(rel), before + data)

    def read_from(self, rel: str, offset: int) -> bytes:
        return (self.read(rel)[0] or b"")[offset:]

    def size(self, rel: str) -> int:
        try:
            return int(self.fs.info(self._p(rel))["size"])
        except FileNotFoundError:
            return 0

    def listdir(self, rel: str) -> list[str]:
        try:
            return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self._p(rel), detail=False))
        except FileNotFoundError:
            return []

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self._lock:
            yield
