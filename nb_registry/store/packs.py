"""Packs: many small files in one blob, each still found by its own content digest.

As loose blobs, a folder of 50,000 files of 4 KiB costs 50,000 creates, writes and renames (and
50,000 PUTs on an object store). Files smaller than :data:`PACKED_BELOW`, when a log stores many of
them, go into packs instead:

    <blobs>/packs/<pack digest>.pack   the files' bytes, one after another
    <blobs>/packs/<pack digest>.idx    "NBRPACK1", then (file digest, offset, length) for each file

Both are named by the pack's own digest (BLAKE3 of the ``.pack`` bytes) and written once: the pack
first (a temporary file, fsync'd as a whole and renamed into place; one PUT on an object store),
then its index the same way. A pack is used only once its index exists, so a writer killed at any
point leaves at most a pack without an index (gc removes it after the grace period), never an index
that names missing bytes.

Why the index lives beside the blobs, not in the metadata store: it is about bytes. One blob folder
serves every metadata backend (a folder, ``memory://``, a bucket, PostgreSQL with ``blobs=``), and
no version record names a pack, so a repack changes no metadata. Each index is one object, created
once and never changed: there is no shared index to read, modify and write back, which is what a
bucket without locks needs (every write there is a create), and two writers packing at the same
time never conflict (the same file in two packs is harmless: either copy serves). A reader lists
``packs/`` and reads the indexes it has not seen yet.

gc repacks a pack whose dead share passed its threshold: a new pack with the live files, then the
old index is removed, then the old pack. At every moment each live file is in an indexed pack.
"""

from __future__ import annotations

import os
import stat as stat_mod
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import IntegrityError, NotFoundError, UnsafePathError
from .files import fsync_dir
from .hashing import blake3, hash_bytes

# Files below this size are packed. Measured with bench/bench_folders.py --threshold on ext4 (the cost
# per file of storing N files, loose blobs against packed, packs fsync'd): 4 KiB 0.21 ms loose against
# 0.13 ms packed, 64 KiB 0.23 against 0.23, 256 KiB 0.40 against 0.56, 1 MiB 1.1 against 2.2. Below
# 64 KiB the creates and renames of loose blobs cost more than the copy into a pack; above it a loose
# blob is cheaper, and downloads hard-link it instead of copying. On an object store every loose blob
# is a request or two (a HEAD, a PUT) of ~10-50 ms, as much as a MiB or more of bytes on one stream,
# so files below 1 MiB are packed there (an estimate from request latency, not measured here).
PACKED_BELOW = 64 << 10
PACKED_BELOW_REMOTE = 1 << 20
PACK_MIN_FILES = 16  # a log with fewer new small files stores them loose: a pack of three saves nothing
PACK_TARGET = 64 << 20  # a pack is closed once it holds this much
_MAGIC = b"NBRPACK1"
_ROW = struct.Struct(">32sQQ")


@dataclass(frozen=True)
class Slot:
    """Where a packed file's bytes are."""

    pack: str
    offset: int
    length: int


def _is_digest(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


class Packs:
    """The packs under one blob root (``fs``/``root`` as fsspec gives them). Thread-safe."""

    def __init__(self, fs: Any, root: str, is_local: bool, url: str) -> None:
        self.fs, self.root, self.is_local, self.url = fs, root, is_local, url
        self.folder = f"{root}/packs"
        self._lock = threading.Lock()
        self._rows: dict[str, list[tuple[str, int, int]]] | None = None  # pack -> its files, once loaded
        self._where: dict[str, Slot] = {}
        self.damaged: dict[str, str] = {}  # pack -> why its index could not be read

    # -- the index ---------------------------------------------------------------------------
    def path(self, pack: str, ext: str = "pack") -> str:
        return f"{self.folder}/{pack}.{ext}"

    def _listing(self) -> list[str]:
        try:
            if self.is_local:
                return os.listdir(self.folder)
            return [p.rsplit("/", 1)[-1] for p in self.fs.ls(self.folder, detail=False)]
        except FileNotFoundError:
            return []

    def listing(self) -> tuple[set[str], set[str]]:
        """(packs with an index, pack files) as stored now."""
        names = self._listing()
        idx = {n[:-4] for n in names if n.endswith(".idx") and _is_digest(n[:-4])}
        packs = {n[:-5] for n in names if n.endswith(".pack") and _is_digest(n[:-5])}
        return idx, packs

    def refresh(self) -> None:
        """Take in the packs written since (by any process) and forget the ones removed since."""
        indexed, _ = self.listing()
        with self._lock:
            known = dict(self._rows or {})
        gone = set(known) - indexed
        added = []
        for pack in sorted(indexed - set(known) - set(self.damaged)):
            rows = self._read_index(pack)
            if rows is not None:
                known[pack] = rows
                added.append(pack)
        for pack in gone:
            del known[pack]
        with self._lock:
            where = {} if gone else dict(self._where)
            for pack in (known if gone else added):
                for digest, off, length in known[pack]:
                    where.setdefault(digest, Slot(pack, off, length))
            self._rows, self._where = known, where

    def _read_index(self, pack: str) -> list[tuple[str, int, int]] | None:
        try:
            data = self._read(self.path(pack, "idx"))
        except FileNotFoundError:
            return None  # removed by a gc since the listing
        if not data.startswith(_MAGIC) or (len(data) - len(_MAGIC)) % _ROW.size:
            self.damaged[pack] = f"its index {self.path(pack, 'idx')} is damaged (not an index of {_ROW.size}-byte rows)"
            return None
        return [(d.hex(), off, n) for d, off, n in _ROW.iter_unpack(memoryview(data)[len(_MAGIC):])]

    def _ensure(self) -> None:
        if self._rows is None:
            self.refresh()

    def locate(self, digest: str, refresh: bool = True) -> Slot | None:
        """Where the file with this digest is packed, or None; a miss re-reads the listing unless told not to."""
        self._ensure()
        slot = self._where.get(digest)
        if slot is None and refresh:
            self.refresh()
            slot = self._where.get(digest)
        return slot

    def holds(self, digest: str) -> bool:
        """Whether a pack that is there now holds the file: the index as last read, and the pack checked (one
        stat or HEAD); when that pack is gone, the listing is read again."""
        slot = self.locate(digest)
        if slot is not None and self._there(slot.pack):
            return True
        self.refresh()
        slot = self.locate(digest, refresh=False)
        return slot is not None and self._there(slot.pack)

    def _there(self, pack: str) -> bool:
        if self.is_local:
            return os.path.exists(self.path(pack, "idx"))
        return bool(self.fs.exists(self.path(pack, "idx")))

    def rows(self) -> dict[str, list[tuple[str, int, int]]]:
        """Every indexed pack and its files (digest, offset, length), as of the last refresh."""
        self._ensure()
        return dict(self._rows or {})

    def packed(self) -> Iterable[str]:
        self._ensure()
        return list(self._where)

    def missing_message(self, digest: str) -> str:
        why = "; ".join(f"pack {p[:12]}: {w}" for p, w in sorted(self.damaged.items()))
        return f"blob {digest} is missing from the store at {self.url}" + (f" (damaged packs: {why})" if why else "")

    # -- reading -----------------------------------------------------------------------------
    def _read(self, path: str, start: int | None = None, length: int | None = None) -> bytes:
        if self.is_local:
            with open(path, "rb") as f:
                if start is None:
                    return f.read()
                return os.pread(f.fileno(), length or 0, start)
        if start is None:
            return bytes(self.fs.cat_file(path))
        return bytes(self.fs.cat_file(path, start=start, end=start + (length or 0)))

    def read(self, digest: str) -> bytes:
        """A packed file's bytes (not verified: the caller hashes them). NotFoundError when not packed."""
        for attempt in (0, 1):
            slot = self.locate(digest, refresh=attempt == 1)
            if slot is None:
                continue
            try:
                data = self._read(self.path(slot.pack), slot.offset, slot.length)
            except FileNotFoundError:  # repacked by a gc since we read the index: read the listing again
                if attempt == 0:
                    self.refresh()
                    continue
                raise NotFoundError(self.missing_message(digest)) from None
            if len(data) != slot.length:
                raise IntegrityError(f"pack {slot.pack} in {self.url} is damaged: it is shorter than its index says")
            return data
        raise NotFoundError(self.missing_message(digest))

    def read_pack(self, pack: str, check: bool = True) -> bytes:
        """A whole pack, checked against its name (unless ``check`` is False: the caller checks each file)."""
        data = self._read(self.path(pack))
        if check and hash_bytes(data) != pack:
            raise IntegrityError(f"pack {pack} in {self.url} is damaged: its content no longer matches its name")
        return data

    # -- writing -----------------------------------------------------------------------------
    def write(self, files: list[tuple[str, bytes]], fsync: bool = True) -> str:
        """Store ``(digest, bytes)`` pairs (digests checked by the caller) as one pack; return its digest."""
        h = blake3()
        rows, off = [], 0
        for digest, data in files:
            h.update(data)
            rows.append(_ROW.pack(bytes.fromhex(digest), off, len(data)))
            off += len(data)
        pack = h.hexdigest()
        index = _MAGIC + b"".join(rows)
        self._put(self.path(pack), [d for _, d in files], fsync)
        self._put(self.path(pack, "idx"), [index], fsync)  # last: from now on the pack is in use
        if fsync and self.is_local:
            fsync_dir(self.folder)
        with self._lock:
            if self._rows is not None:
                self._rows[pack] = [(d, o, n) for d, o, n in
                                    ((d.hex(), o, n) for d, o, n in _ROW.iter_unpack(memoryview(index)[len(_MAGIC):]))]
                for d, o, n in self._rows[pack]:
                    self._where.setdefault(d, Slot(pack, o, n))
        return pack

    def _put(self, path: str, parts: list[bytes], fsync: bool) -> None:
        if not self.is_local:
            self.fs.pipe_file(path, b"".join(parts))  # one PUT, all or nothing
            return
        os.makedirs(self.folder, exist_ok=True)
        for folder in (self.folder, f"{self.root}/tmp"):
            if os.path.islink(folder):  # never write (or replace) a file through a link planted in the store
                raise UnsafePathError(f"refusing to write a pack: {folder} is a symbolic link (to {os.readlink(folder)!r})")
        os.makedirs(f"{self.root}/tmp", exist_ok=True)
        tmp = f"{self.root}/tmp/{uuid.uuid4().hex}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            try:
                with os.fdopen(fd, "wb", closefd=False) as f:
                    f.writelines(parts)
                if fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(tmp, stat_mod.S_IRUSR | stat_mod.S_IRGRP | stat_mod.S_IROTH)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    # -- removal (gc) ------------------------------------------------------------------------
    def remove(self, pack: str) -> None:
        """Remove a pack: its index first (it is no longer used), then its bytes."""
        for ext in ("idx", "pack"):
            try:
                if self.is_local:
                    os.unlink(self.path(pack, ext))
                else:
                    self.fs.rm_file(self.path(pack, ext))
            except FileNotFoundError:
                pass
        with self._lock:
            if self._rows is not None and pack in self._rows:
                del self._rows[pack]
                self._where = {d: s for d, s in self._where.items() if s.pack != pack}
        self.refresh()  # files of the removed pack that another pack also holds are found there again

    def remove_file(self, pack: str) -> None:
        """Remove a pack file that has no index (left by a writer killed before it wrote the index)."""
        try:
            if self.is_local:
                os.unlink(self.path(pack))
            else:
                self.fs.rm_file(self.path(pack))
        except FileNotFoundError:
            pass

    def repack(self, pack: str, keep: set[str], fsync: bool = True) -> str | None:
        """Write the files of ``pack`` listed in ``keep`` into a new pack, then remove the old one.

        Each kept file is checked against its digest first: a damaged one stops the repack (IntegrityError),
        the old pack staying as it is. Returns the new pack (None when nothing was kept)."""
        rows = self.rows().get(pack)
        if rows is None:
            return None  # removed meanwhile
        data = self._read(self.path(pack))
        files: dict[str, bytes] = {}
        for digest, off, length in rows:
            if digest in keep and digest not in files:
                part = data[off:off + length]
                if hash_bytes(part) != digest:
                    raise IntegrityError(f"pack {pack} in {self.url} is damaged: file {digest[:12]} in it no longer "
                                         "matches its digest; it was not repacked")
                files[digest] = part
        new = self.write(sorted(files.items()), fsync) if files else None
        self.remove(pack)
        return new

    def age(self, pack: str, ext: str = "pack") -> float:
        """Seconds since the pack (or its index) was written; 0 when unknown."""
        try:
            if self.is_local:
                return time.time() - os.stat(self.path(pack, ext)).st_mtime
            info = self.fs.info(self.path(pack, ext))
            modified = info.get("LastModified") or info.get("mtime") or info.get("created")
            return time.time() - (modified.timestamp() if hasattr(modified, "timestamp") else float(modified or 0))
        except (OSError, ValueError, TypeError):
            return 0.0
