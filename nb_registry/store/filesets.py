"""Storing many local files at once: what a log of a folder of thousands of small files needs.

* The files are stat'ed (on a thread pool when a stat is slow: a network filesystem) and the stat cache is asked once for all of them
  (:meth:`StatCache.get_many`): an unchanged folder costs a walk of stats and one query.
* A changed or new file is read once (on a thread pool unless reads come from the page cache, see
  :data:`SERIAL_BELOW`), hashed from the bytes read and, when it is
  small and there are many of them, appended to a pack (:mod:`.packs`); large files take the loose
  path of :meth:`BlobStore.put_file` (copied and hashed at once, hard-linked by downloads).
* The stat-cache rows of the whole log are written in one transaction.

Deduplication: a small file whose content is stored already (loose or packed) is not stored again.
On an object store only the packs' index is asked (a HEAD for each of thousands of files would cost
more than the bytes); a small file stored loose there by an older version is then packed once more.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Mapping, Protocol, Sequence, TypeVar

from ..errors import IntegrityError, NotFoundError
from .hashing import StatCache, hash_bytes
from .packs import PACK_MIN_FILES, PACK_TARGET, PACKED_BELOW, PACKED_BELOW_REMOTE, Packs


class BlobStore(Protocol):
    """What this module needs of :class:`.blobs.BlobStore` (which calls it: named here, not imported)."""

    is_local: bool
    packs: Packs
    stat_cache: StatCache

    def exists_loose(self, digest: str) -> bool: ...
    def stored_size(self, digest: str) -> int | None: ...
    def put_file(self, src: str) -> tuple[str, int, bool]: ...
    def write_error(self, e: OSError, what: str, where: str | None = None) -> Exception: ...

T = TypeVar("T")
R = TypeVar("R")
Stored = tuple[str, int, bool]  # digest, size, whether new bytes were stored


def workers_for(n: int) -> int:
    """Threads for ``n`` files: reads and syscalls release the GIL, so twice the cores keeps the disk busy."""
    return 1 if n < 64 else min(16, 2 * (os.cpu_count() or 2))


# Below this many seconds a call, threads cost more than they save: a stat, or a read of a small file the page
# cache holds, releases the GIL for a microsecond or two, and handing the GIL back and forth between threads then
# dominates (measured on 5,000 files of 4 KiB in the page cache: 0.28 s on one thread, 0.44 s on four). Files that
# must come from the disk, or large ones, take longer a call, and the pool wins (cold: 0.52 s on four, 0.63-0.96 s
# on one).
SERIAL_BELOW = 40e-6


def parallel_map(fn: Callable[[T], R], items: Sequence[T], workers: int, chunk: int = 256) -> list[R]:
    """``[fn(x) for x in items]``, in order: the first ``chunk`` on this thread, timed; the rest on ``workers``
    threads in chunks (one task per file would cost more than a read) unless those took under
    :data:`SERIAL_BELOW` each, when threads would only slow them down."""
    if workers <= 1 or len(items) <= chunk:
        return [fn(x) for x in items]
    start = time.perf_counter()
    head = [fn(x) for x in items[:chunk]]
    if (time.perf_counter() - start) / chunk < SERIAL_BELOW:
        return head + [fn(x) for x in items[chunk:]]
    chunks = [items[i:i + chunk] for i in range(chunk, len(items), chunk)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return head + [r for part in pool.map(lambda c: [fn(x) for x in c], chunks) for r in part]


class PackWriter:
    """Collects small files from many threads and writes them as packs of about :data:`PACK_TARGET`."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs
        self._lock = threading.Lock()
        self._files: list[tuple[str, bytes]] = []
        self._size = 0
        self._seen: set[str] = set()
        self.packs: list[str] = []

    def add(self, digest: str, data: bytes) -> bool:
        """Queue a file unless its content is stored or queued; True when it will be stored."""
        if self.blobs.packs.locate(digest, refresh=False) is not None or (self.blobs.is_local and self.blobs.exists_loose(digest)):
            return False
        with self._lock:
            if digest in self._seen:
                return False
            self._seen.add(digest)
            self._files.append((digest, data))
            self._size += len(data)
            if self._size < PACK_TARGET:
                return True
            files, self._files, self._size = self._files, [], 0
        self._write(files)
        return True

    def close(self) -> None:
        with self._lock:
            files, self._files, self._size = self._files, [], 0
        if files:
            self._write(files)

    def _write(self, files: list[tuple[str, bytes]]) -> None:
        try:
            self.packs.append(self.blobs.packs.write(files))
        except OSError as e:
            raise self.blobs.write_error(e, f"a pack of {len(files)} small files") from None


def put_files(blobs: BlobStore, paths: Sequence[str], progress: Callable[[int], None] | None = None,
              labels: Mapping[str, str] | None = None) -> list[Stored]:
    """Store local files; return (digest, size, new) for each, in order. See the module docstring.

    ``labels`` names files in errors (a log passes their entry names)."""
    n = len(paths)
    if not n:
        return []
    workers = workers_for(n)

    def stat(path: str) -> os.stat_result:
        try:
            return os.stat(path)
        except FileNotFoundError:
            what = f" (entry {labels[path]!r})" if labels and path in labels else ""
            raise NotFoundError(f"file {path}{what} no longer exists") from None

    stats = parallel_map(stat, paths, workers)
    blobs.packs.refresh()  # once: packs other processes wrote since
    cached = blobs.stat_cache.get_many(zip(paths, stats))
    out: list[Stored | None] = [None] * n
    todo: list[int] = []
    for i, (path, st) in enumerate(zip(paths, stats)):
        digest = cached.get(path)
        if digest is not None and _stored(blobs, digest, st.st_size):
            out[i] = (digest, st.st_size, False)
            if progress:
                progress(st.st_size)
        else:
            todo.append(i)
    limit = PACKED_BELOW if blobs.is_local else PACKED_BELOW_REMOTE
    small = [i for i in todo if stats[i].st_size < limit]
    if len(small) < PACK_MIN_FILES:
        small = []
    packed = set(small)
    writer = PackWriter(blobs)

    def store(i: int) -> Stored:
        path, st = paths[i], stats[i]
        if i not in packed:
            stored = blobs.put_file(path)
        else:
            digest, data = read_hashed(path, st)
            stored = (digest, st.st_size, writer.add(digest, data))
            blobs.stat_cache.put(path, digest, st)
        if progress:
            progress(st.st_size)
        return stored

    with blobs.stat_cache.batch():  # every row of this log in one transaction
        for i, stored in zip(todo, parallel_map(store, todo, workers, chunk=64)):
            out[i] = stored
        writer.close()
    return [s for s in out if s is not None]


def _stored(blobs: BlobStore, digest: str, size: int) -> bool:
    """Whether the content a stat-cache row names is still stored (a packed file: its index says so)."""
    slot = blobs.packs.locate(digest, refresh=False)
    if slot is not None:
        return slot.length == size
    return blobs.stored_size(digest) == size


def read_hashed(path: str, st: os.stat_result) -> tuple[str, bytes]:
    """A whole small file, read once, and the digest of those bytes; a file that changed since ``st`` is refused."""
    try:  # os.open and os.read: a third of the cost of open() and its buffered reader, for a 4 KiB file
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise NotFoundError(f"file {path} no longer exists") from None
    try:
        data = os.read(fd, st.st_size + 1)  # one byte more: a file that grew is seen
        while len(data) <= st.st_size and (more := os.read(fd, st.st_size + 1 - len(data))):
            data += more
        now = os.fstat(fd)
    finally:
        os.close(fd)
    if (now.st_size, now.st_mtime_ns, len(data)) != (st.st_size, st.st_mtime_ns, st.st_size):
        raise IntegrityError(f"{path} changed while it was being logged; log it again when it is complete")
    return hash_bytes(data), data
