"""Content-addressed blobs through fsspec: ``<root>/<digest[:2]>/<digest[2:]>``, as DVC lays them out.

One class serves a local folder, ``memory://`` and ``s3://`` alike. A blob becomes visible only
whole: locally it is written under a temporary name and renamed into place (atomic on POSIX);
on object stores a PUT is atomic by itself. Identical content is stored once, whatever it was called.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import stat as stat_mod
import threading
import uuid
from typing import Callable, Iterator

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import IntegrityError, NotFoundError, RegistryError, UnsafePathError
from .hashing import StatCache, hash_bytes, hash_file
from .packs import Packs

_PARALLEL_MIN = 4 << 20  # from this size, copy and hash at the same time


class BlobStore:
    """Blobs under one fsspec URL. ``fsync=True`` also flushes large blobs to disk (off by default)."""

    def __init__(self, url: str, stat_cache: StatCache, fsync: bool = False, **storage_options: object) -> None:
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url, **storage_options)
        self.is_local = isinstance(self.fs, LocalFileSystem)
        if not self.is_local:
            # Never answer "is this blob there?" from a listing: fsspec keeps every listing (a gc's, even a dry
            # run's) and then reports blobs that other processes added since as missing, or removed ones as
            # present. With the listings cache off, each check asks the store (one HEAD).
            self.fs, self.root = fsspec.core.url_to_fs(url, **{**storage_options, "use_listings_cache": False})
        self.root = self.root.rstrip("/")
        self.stat_cache = stat_cache
        self.fsync = fsync
        if self.is_local:
            os.makedirs(os.path.join(self.root, "tmp"), exist_ok=True)
        self.packs = Packs(self.fs, self.root, self.is_local, url)  # small files, many to a blob (store/packs.py)

    # -- addressing -------------------------------------------------------------------------
    def path(self, digest: str) -> str:
        return f"{self.root}/{digest[:2]}/{digest[2:]}"

    def local_path(self, digest: str) -> str | None:
        """The blob's path on this machine when the store is a local folder and the blob is loose, else None."""
        return self.path(digest) if self.is_local and os.path.exists(self.path(digest)) else None

    def exists(self, digest: str) -> bool:
        """Whether the content is stored, as a loose blob or in a pack. The pack is checked to be there still
        (another process's gc may have repacked it since this one read the index)."""
        return self.exists_loose(digest) or self.packs.holds(digest)

    def exists_loose(self, digest: str) -> bool:
        if self.is_local:
            return os.path.exists(self.path(digest))
        return bool(self.fs.exists(self.path(digest)))

    def stored_size(self, digest: str) -> int | None:
        """The stored blob's size, or None when there is no such blob (or the name is no digest)."""
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return None
        try:
            return self.size(digest)
        except NotFoundError:
            return None

    def size(self, digest: str) -> int:
        try:
            if self.is_local:
                return os.stat(self.path(digest)).st_size
            return int(self.fs.info(self.path(digest))["size"])
        except (FileNotFoundError, OSError):
            slot = self.packs.locate(digest)
            if slot is None:
                raise NotFoundError(self.packs.missing_message(digest)) from None
            return slot.length

    # -- writing ----------------------------------------------------------------------------
    def put_bytes(self, data: bytes, what: str | None = None) -> tuple[str, bool]:
        """Store bytes; return (digest, whether new bytes were stored). ``what`` names them in errors."""
        digest = hash_bytes(data)
        if self.exists_loose(digest):  # manifests, code and histories are loose blobs: one check
            return digest, False
        if self.is_local:
            def write(tmp: str) -> None:
                with open(tmp, "wb") as f:
                    f.write(data)

            self._store_local(digest, write, what or f"{len(data)} bytes (blob {digest[:12]})")
        else:
            self.fs.makedirs(os.path.dirname(self.path(digest)), exist_ok=True)
            self.fs.pipe_file(self.path(digest), data)
        return digest, True

    def put_file(self, src: str) -> tuple[str, int, bool]:
        """Store a local file; return (digest, size, whether new bytes were stored).

        An unchanged file (same inode, size and mtime) is recognised from the stat cache and
        neither read nor copied. A large new file is copied and hashed at the same time.
        """
        st = os.stat(src)
        cached = self.stat_cache.get(src, st)
        if cached is not None and self.stored_size(cached) == st.st_size:
            return cached, st.st_size, False
        # New bytes are only ever stored under the digest of those bytes, never under the one the stat cache
        # names: a damaged cache row must not make a damaged version.
        if self.is_local and st.st_size >= _PARALLEL_MIN:
            digest, new = self._copy_hashing(src, st)
        elif self.is_local:  # small: read once, hash and store the same bytes
            with open(src, "rb") as f:
                digest, new = self.put_bytes(f.read(), src)
        else:
            digest = hash_file(src)
            new = not self.exists(digest)
            if new:
                self._upload(src, digest)
        self._check_unchanged(src, st)
        self.stat_cache.put(src, digest, st)
        return digest, st.st_size, new

    def put_immutable(self, src: str) -> tuple[str, int, bool]:
        """Store a local file its owner promised never to change (``add_file(..., policy="immutable")``): hashed
        in place, then linked into the store instead of copied: a reflink where the filesystem has them (the
        file stays writable; the blob is a copy-on-write twin), else a hard link, which makes the file itself
        read-only (it *is* the blob: editing it in place would damage the stored version; replacing it, as
        ``torch.save`` does, is safe). Where neither can be made (another filesystem, an object store, a file
        this process cannot make read-only) it is copied as :meth:`put_file` does, and a warning says so once.
        Returns (digest, size, whether new bytes were stored), as :meth:`put_file`."""
        st = os.stat(src)
        cached = self.stat_cache.get(src, st)
        if cached is not None and self.stored_size(cached) == st.st_size:
            return cached, st.st_size, False
        if not self.is_local:
            _warn_copy_once(f"the store {self.url} is not a local folder, so files cannot be linked into it")
            return self.put_file(src)
        digest = hash_file(src, threads=os.cpu_count() or 1)
        self._check_unchanged(src, st)
        if self.exists(digest):  # loose, or packed by an earlier log
            self.stat_cache.put(src, digest, st)
            return digest, st.st_size, False
        tmp = self._tmp()
        why = _link_or_clone(src, tmp)
        if why:
            _unlink(tmp)
            _warn_copy_once(why)
            return self.put_file(src)
        try:
            self._check_unchanged(src, st)
            self._commit_local(tmp, digest)  # read-only, renamed into place: for a hard link, src is read-only too
        except BaseException:
            _unlink(tmp)
            raise
        self.stat_cache.put(src, digest)  # its ctime and link count changed
        return digest, st.st_size, True

    def put_files(self, paths: "list[str]", progress: Callable[[int], None] | None = None,
                  labels: "dict[str, str] | None" = None) -> list[tuple[str, int, bool]]:
        """Store many local files: (digest, size, new) for each, in order. Small ones are packed when there are
        many; stats, stat-cache lookups and reads run in parallel (:mod:`.filesets`). ``labels``: path ->
        what to call it in errors."""
        from .filesets import put_files

        return put_files(self, paths, progress, labels)

    def _copy_hashing(self, src: str, st: os.stat_result) -> tuple[str, bool]:
        tmp = self._tmp()
        result: dict[str, object] = {}

        def hash_it() -> None:
            try:
                result["digest"] = hash_file(src, threads=max(1, (os.cpu_count() or 2) - 1))
            except BaseException as e:  # re-raised in the caller's thread
                result["error"] = e

        t = threading.Thread(target=hash_it, daemon=True)
        t.start()
        try:
            clone_or_copy(src, tmp)
        except OSError as e:
            _unlink(tmp)
            raise self.write_error(e, src) from None
        finally:
            t.join()
        if "error" in result:
            _unlink(tmp)
            raise result["error"]  # type: ignore[misc]
        digest = str(result["digest"])
        try:
            self._check_unchanged(src, st)
        except Exception:
            _unlink(tmp)
            raise
        if os.path.exists(self.path(digest)):
            _unlink(tmp)
            return digest, False
        self._store_local(digest, lambda _: None, src, tmp)
        return digest, True

    def _upload(self, src: str, digest: str) -> None:
        if self.is_local:
            self._store_local(digest, lambda tmp: shutil.copyfile(src, tmp), src)
        else:
            self.fs.makedirs(os.path.dirname(self.path(digest)), exist_ok=True)
            self.fs.put_file(src, self.path(digest))

    def adopt(self, tmp: str, digest: str) -> None:
        """Move a local file whose content has this digest (checked by the caller) into place as its blob."""
        self._commit_local(tmp, digest)

    def _store_local(self, digest: str, write: Callable[[str], None], what: str, tmp: str | None = None) -> None:
        """Write a temporary file (``write(tmp)``), flush it if asked, and rename it into place. On any
        failure the temporary file is removed; a full disk is said in plain words, naming ``what``."""
        tmp = tmp or self._tmp()
        try:
            write(tmp)
            if self.fsync:
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
            self._commit_local(tmp, digest)
        except OSError as e:
            _unlink(tmp)
            raise self.write_error(e, what) from None
        except BaseException:
            _unlink(tmp)
            raise

    def write_error(self, e: OSError, what: str, where: str | None = None,
                     after: str = "nothing was logged and no version changed") -> Exception:
        """A full disk (or a read-only one) said in plain words; any other error as it is."""
        where = where or self.root
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            return RegistryError(f"could not write {what} to {where}: {e.strerror or 'no space left'} (the disk is "
                                 f"full); {after}: free some space and try again")
        if e.errno == errno.EROFS:
            return RegistryError(f"could not write {what} to {where}: it is on a read-only filesystem; {after}")
        return e

    def _commit_local(self, tmp: str, digest: str) -> None:
        final = self.path(digest)
        folder = os.path.dirname(final)
        os.makedirs(folder, exist_ok=True)
        if os.path.islink(folder):  # never write (or replace) a file through a link planted in the store
            _unlink(tmp)
            raise UnsafePathError(f"refusing to store blob {digest[:12]}: {folder} is a symbolic link "
                                  f"(to {os.readlink(folder)!r}); the blob folders must be plain folders")
        os.chmod(tmp, stat_mod.S_IRUSR | stat_mod.S_IRGRP | stat_mod.S_IROTH)
        os.replace(tmp, final)
        self.stat_cache.put(final, digest)

    def _tmp(self) -> str:
        folder = os.path.join(self.root, "tmp")
        if os.path.islink(folder):
            raise UnsafePathError(f"refusing to write into {folder}: it is a symbolic link (to {os.readlink(folder)!r})")
        return os.path.join(folder, f"{uuid.uuid4().hex}.part")

    @staticmethod
    def _check_unchanged(src: str, st: os.stat_result) -> None:
        now = os.stat(src)
        if (now.st_size, now.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
            raise IntegrityError(f"{src} changed while it was being logged; log it again when it is complete")

    # -- reading ----------------------------------------------------------------------------
    def read_bytes(self, digest: str) -> bytes:
        try:
            if self.is_local:
                with open(self.path(digest), "rb") as f:
                    return f.read()
            return bytes(self.fs.cat_file(self.path(digest)))
        except FileNotFoundError:
            return self.packs.read(digest)  # NotFoundError when it is not packed either

    def read_verified(self, digest: str) -> bytes:
        data = self.read_bytes(digest)
        if hash_bytes(data) != digest:
            raise IntegrityError(f"blob {digest} in {self.url} is damaged: its content no longer matches its digest")
        return data

    def get_file(self, digest: str, dest: str) -> None:
        """Copy a blob to a local path, verifying its content on the way. Never leaves a partial file."""
        tmp = f"{dest}.{uuid.uuid4().hex[:8]}.part"
        try:
            slot = None if self.exists_loose(digest) else self.packs.locate(digest)
            if slot is not None:
                with open(tmp, "xb") as f:
                    f.write(self.packs.read(digest))
            elif self.is_local:
                shutil.copyfile(self.path(digest), tmp)
            else:
                self.fs.get_file(self.path(digest), tmp)
            if hash_file(tmp) != digest:
                raise IntegrityError(f"blob {digest} in {self.url} is damaged: its content no longer matches its digest")
            os.replace(tmp, dest)
        except FileNotFoundError:
            raise NotFoundError(self.packs.missing_message(digest)) from None
        except OSError as e:
            raise self.write_error(e, f"blob {digest[:12]}", os.path.dirname(dest), "the cache is as it was") from None
        finally:
            _unlink(tmp)

    def verify(self, digest: str) -> bool:
        """Re-hash a stored blob in full (no cache); True when it matches its name."""
        if not self.exists_loose(digest):
            try:
                return hash_bytes(self.packs.read(digest)) == digest
            except (NotFoundError, IntegrityError):
                return False
        try:
            if self.is_local:
                return hash_file(self.path(digest)) == digest
            with self.fs.open(self.path(digest), "rb") as f:
                from .hashing import hash_stream

                return hash_stream(f)[0] == digest
        except FileNotFoundError:
            return False

    def verify_many(self, digests: "list[str]") -> set[str]:
        """Re-hash many stored files in full (no cache); return those missing or damaged. Each pack that holds
        some of them is read once."""
        self.packs.refresh()
        by_pack: dict[str, list[tuple[str, int, int]]] = {}
        bad = set()
        for digest in dict.fromkeys(digests):
            slot = self.packs.locate(digest, refresh=False)
            if slot is not None and not (self.is_local and self.exists_loose(digest)):
                by_pack.setdefault(slot.pack, []).append((digest, slot.offset, slot.length))
            elif not self.verify(digest):
                bad.add(digest)
        for pack, rows in by_pack.items():
            try:
                data = self.packs.read_pack(pack, check=False)
            except FileNotFoundError:
                bad.update(d for d, _, _ in rows if not self.verify(d))  # repacked meanwhile: one by one
                continue
            view = memoryview(data)
            bad.update(d for d, off, n in rows if len(data) < off + n or hash_bytes(view[off:off + n]) != d)
        return bad

    def verified_local(self, digest: str) -> str:
        """The local blob path, checked through the stat cache (a re-hash only if its stat changed)."""
        path = self.path(digest)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise NotFoundError(f"blob {digest} is missing from the store at {self.url}") from None
        if self.stat_cache.get(path, st) != digest:
            if hash_file(path) != digest:
                raise IntegrityError(f"blob {digest} at {path} is damaged: its content no longer matches its digest")
            self.stat_cache.put(path, digest, st)
        return path

    # -- listing and removal ----------------------------------------------------------------
    def digests(self) -> Iterator[str]:
        """Every stored content digest: loose blobs, then packed files not also stored loose."""
        loose = set()
        self.packs.refresh()
        for digest in self.loose_digests():
            loose.add(digest)
            yield digest
        yield from (d for d in self.packs.packed() if d not in loose)

    def loose_digests(self) -> Iterator[str]:
        if self.is_local:
            for d in os.listdir(self.root) if os.path.isdir(self.root) else []:
                if len(d) != 2:
                    continue
                for rest in os.listdir(os.path.join(self.root, d)):
                    if not rest.endswith(".part"):
                        yield d + rest
        else:
            for p in self.fs.find(self.root):
                rel = p[len(self.root.lstrip("/")) :].lstrip("/") if not p.startswith(self.root) else p[len(self.root) :].lstrip("/")
                head, _, rest = rel.partition("/")
                if len(head) == 2 and rest and "/" not in rest:
                    yield head + rest

    def delete(self, digest: str) -> None:
        """Remove a loose blob (packed files go with their pack: see :meth:`Packs.repack`)."""
        try:
            if self.is_local:
                os.unlink(self.path(digest))
            else:
                self.fs.rm_file(self.path(digest))
        except FileNotFoundError:
            pass


_FICLONE = 0x40049409  # Linux ioctl: share the source's extents (btrfs, XFS); copy-on-write, so safe


def clone_or_copy(src: str, dst: str) -> None:
    """A reflink where the filesystem has them (the copy then costs nothing), else a kernel-side copy."""
    if sys.platform.startswith("linux"):
        try:
            import fcntl

            with open(src, "rb") as s, open(dst, "xb") as d:
                fcntl.ioctl(d.fileno(), _FICLONE, s.fileno())
            return
        except OSError:
            # ext4, tmpfs ...: copy. Remove the empty file first: ext4 flushes a file that was
            # truncated and rewritten when it is closed (auto_da_alloc), which would double the cost.
            _unlink(dst)
    shutil.copyfile(src, dst)


_copy_warned: set[str] = set()


def _warn_copy_once(why: str) -> None:
    """Say once per process and reason that an immutable file was copied after all."""
    if why not in _copy_warned:
        _copy_warned.add(why)
        import warnings

        warnings.warn(f"policy='immutable': {why}; the file was copied into the store instead (as the default "
                      "policy does)", stacklevel=4)


def _link_or_clone(src: str, tmp: str) -> str | None:
    """Make ``tmp`` a reflink of ``src``, else a hard link to it that can be made read-only; None when done,
    else why neither could be made (nothing is left at ``tmp``)."""
    if sys.platform.startswith("linux"):
        try:
            import fcntl

            with open(src, "rb") as s, open(tmp, "xb") as d:
                fcntl.ioctl(d.fileno(), _FICLONE, s.fileno())
            return None
        except OSError:
            _unlink(tmp)  # no reflinks here (ext4, tmpfs ...): a hard link
    try:
        os.link(src, tmp)
    except OSError as e:
        return f"{src} cannot be hard-linked into {os.path.dirname(tmp)} ({e.strerror or e}: another filesystem?)"
    try:
        os.chmod(tmp, stat_mod.S_IRUSR | stat_mod.S_IRGRP | stat_mod.S_IROTH)
    except OSError as e:
        _unlink(tmp)
        return f"{src} cannot be made read-only ({e.strerror or e})"
    return None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# on object stores, a back end's failure (no credentials, no bucket, unreachable) is one StorageError naming the store
from .storage_errors import guard_methods  # noqa: E402 - applied once the class exists

guard_methods(BlobStore, ("exists", "exists_loose", "size", "put_bytes", "put_file", "put_files", "put_immutable",
                          "read_bytes", "get_file", "verify", "digests", "loose_digests", "delete"))
