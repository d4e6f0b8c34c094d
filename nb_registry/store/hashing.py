"""Content hashing: BLAKE3, and a stat cache so an unchanged file is never hashed twice.

Why BLAKE3 and not sha256: it is a 256-bit cryptographic hash like sha256 (collision resistance
2^128), and it is tree-structured, so one large file is hashed on every core from a memory map.
Measured here on a 1 GiB file: sha256 1.3-1.6 s, BLAKE3 on all cores 0.18-0.20 s, i.e. faster
than copying the file (0.40-0.48 s). Logging hashes while it copies, so the hash costs nothing.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from typing import Any, BinaryIO, Iterable, Iterator

from blake3 import blake3

ALGORITHM = "blake3"
CHUNK = 8 << 20
_MMAP_MIN = 1 << 20  # below this a plain read is cheaper than a memory map


def hash_bytes(data: bytes) -> str:
    return blake3(data).hexdigest()


def hash_file(path: str | os.PathLike[str], threads: int | None = None) -> str:
    """Hash a local file, on all cores (or ``threads``) for large files."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size >= _MMAP_MIN:
        h = blake3(max_threads=threads or blake3.AUTO)
        h.update_mmap(path)
        return h.hexdigest()
    with open(path, "rb") as f:
        return blake3(f.read()).hexdigest()


def hash_stream(f: BinaryIO) -> tuple[str, int]:
    """Hash a readable binary stream; return (digest, size)."""
    h = blake3(max_threads=blake3.AUTO)
    size = 0
    while chunk := f.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


class Hasher:
    """An incremental hash, for content written through :func:`open` in pieces."""

    def __init__(self) -> None:
        self._h = blake3(max_threads=blake3.AUTO)
        self.size = 0

    def update(self, data: bytes) -> None:
        self._h.update(data)
        self.size += len(data)

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink)


_COLUMNS = "(path, ino, size, mtime, ctime, nlink, digest)"


def _inode(path: str) -> int | None:
    try:
        return os.lstat(path).st_ino
    except OSError:
        return None


class StatCache:
    """path + (inode, size, mtime_ns, ctime_ns) -> digest, in SQLite, as DVC does.

    SQLite rather than TinyDB because this is a cache read and written from many processes at
    once, one row at a time; losing it costs only a re-hash.

    The change time is part of the key because no one can set it back: a file whose bytes were
    changed and whose size and mtime were then restored (``os.utime``) is no longer "unchanged"
    (:meth:`get` misses and the file is hashed again). Anything that changes an inode moves its
    ctime: a write, chmod, a new hard link (a download records the blob again after linking it),
    and a removed one: a deleted download, which :meth:`_unchanged` recognises (the blob has fewer
    links, and as many of the downloads recorded here as links to it are gone). Rows
    written before ctime was recorded have none and count as misses. The cache guards against
    accidents and careless tampering, not against someone who can also rewrite it, nor a change made
    to a blob between the removal of one of its downloads and the next read; ``verify()`` re-hashes
    everything whatever the cache says.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._batch: list[tuple[Any, ...]] | None = None
        self._batch_lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("CREATE TABLE IF NOT EXISTS stat "
                       "(path TEXT PRIMARY KEY, ino INT, size INT, mtime INT, digest TEXT, ctime INT, nlink INT)")
            db.execute("CREATE INDEX IF NOT EXISTS stat_ino ON stat (ino)")
            have = {r[1] for r in db.execute("PRAGMA table_info(stat)")}
            for column in ("ctime", "nlink"):  # a cache from before they were recorded: its rows are misses
                if column not in have:
                    with contextlib.suppress(sqlite3.OperationalError):  # another process added it meanwhile
                        db.execute(f"ALTER TABLE stat ADD COLUMN {column} INT")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction. The connection is in autocommit mode (``isolation_level=None``), where ``with db:``
        opens none: each row of an ``executemany`` was then a transaction of its own (10x slower at 5,000 rows)."""
        db = self._db()
        db.execute("BEGIN")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def get(self, path: str, st: os.stat_result | None = None) -> str | None:
        try:
            st = st or os.stat(path)
            row = self._db().execute("SELECT ino, size, mtime, ctime, nlink, digest FROM stat WHERE path=?",
                                     (path,)).fetchone()
            hit = bool(row) and self._unchanged(path, row, st)
        except (OSError, sqlite3.Error, UnicodeEncodeError):  # a path that is not UTF-8 is never cached
            return None
        return str(row[5]) if hit else None

    def _unchanged(self, path: str, row: tuple[Any, ...], st: os.stat_result) -> bool:
        """Whether a row (ino, size, mtime, ctime, nlink, digest) still describes the file at ``path``."""
        ino, size, mtime, ctime, nlink, digest = row
        if (ino, size, mtime) != (st.st_ino, st.st_size, st.st_mtime_ns) or ctime is None:
            return False
        if ctime == st.st_ctime_ns:
            return True
        # The ctime also moves when a hard link to the file goes away: a deleted download (a download is a
        # link to its blob). That is what happened if as many of the links recorded here are gone.
        if nlink is None or st.st_nlink >= nlink:
            return False
        others = [r[0] for r in self._db().execute("SELECT path FROM stat WHERE ino=? AND path!=?", (ino, path))]
        gone = [p for p in others if _inode(p) != ino]
        if len(gone) < nlink - st.st_nlink:
            return False
        with contextlib.suppress(sqlite3.Error), self._transaction() as db:  # forget the links, record the file
            db.executemany("DELETE FROM stat WHERE path=?", [(p,) for p in gone])
            db.execute(f"INSERT OR REPLACE INTO stat {_COLUMNS} VALUES (?,?,?,?,?,?,?)", (path, *_stat_key(st), digest))
        return True  # recorded as it is now: a later change is not taken for the same deleted link

    def get_many(self, files: Iterable[tuple[str, os.stat_result]]) -> dict[str, str]:
        """:meth:`get` for many files at once: path -> digest for those unchanged since they were recorded.

        A few large queries instead of one per file: a whole folder is one range scan of the primary key
        (its paths share a prefix), a scattered set is looked up in batches."""
        wanted = dict(files)
        if not wanted:
            return {}
        try:
            db = self._db()
            rows: list[tuple[Any, ...]] = []
            prefix = ""
            if len(wanted) > 1000:  # the common folder: the common start of the first and last path, cut at a "/"
                first, last = min(wanted), max(wanted)
                prefix = os.path.commonprefix([first, last]).rpartition(os.sep)[0] + os.sep
            if prefix.count(os.sep) >= 2:  # a folder, not "/" or "/home": its rows are few beside others
                rows = db.execute("SELECT path, ino, size, mtime, ctime, nlink, digest FROM stat WHERE path >= ? AND "
                                  "path < ?", (prefix, prefix + "\U0010ffff")).fetchall()
            else:
                names = list(wanted)
                for i in range(0, len(names), 500):
                    batch = names[i:i + 500]
                    rows += db.execute("SELECT path, ino, size, mtime, ctime, nlink, digest FROM stat WHERE path IN "
                                       f"({','.join('?' * len(batch))})", batch).fetchall()
            return {row[0]: str(row[6]) for row in rows
                    if row[0] in wanted and self._unchanged(row[0], row[1:], wanted[row[0]])}
        except (OSError, sqlite3.Error, UnicodeEncodeError, ValueError):
            return {p: d for p, st in wanted.items() if (d := self.get(p, st)) is not None}

    def put(self, path: str, digest: str, st: os.stat_result | None = None) -> None:
        try:
            path.encode("utf-8")  # SQLite stores text: a file name that is not UTF-8 is not cached
            row = (path, *_stat_key(st or os.stat(path)), digest)
        except (OSError, UnicodeEncodeError):
            return
        with self._batch_lock:
            if self._batch is not None:
                self._batch.append(row)
                return
        self._write([row])

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        try:
            with self._transaction() as db:
                db.executemany(f"INSERT OR REPLACE INTO stat {_COLUMNS} VALUES (?,?,?,?,?,?,?)", rows)
        except sqlite3.Error:
            pass  # a cache: failing to remember only costs a later re-hash

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Collect ``put`` rows (from any thread) and write them in one transaction at the end."""
        with self._batch_lock:
            outer = self._batch is None
            if outer:
                self._batch = []
        try:
            yield
        finally:
            if outer:
                with self._batch_lock:
                    rows, self._batch = self._batch or [], None
                if rows:
                    self._write(rows)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
