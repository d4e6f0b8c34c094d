"""Writing below a folder without ever following a link: what downloads and the cache write through.

A download folder, or the cache a registry keeps beside its blobs, may be writable by others (a
shared registry folder). If a folder on the way were a symbolic link, a write would land wherever
the link points, and ``os.replace`` would overwrite the file there (a teammate's
``~/.ssh/authorized_keys``). So a :class:`Folder` starts at a *base* the user chose (trusted as
it is, links included) and opens every folder below it with ``O_NOFOLLOW``, one at a time, each
relative to the folder opened before it (``dir_fd``): the checked folder is the one written to,
whatever is renamed meanwhile. A link anywhere below the base is refused with
:class:`~nb_registry.errors.UnsafePathError` naming it.

Where the platform has no ``dir_fd`` (Windows), each folder is checked with ``lstat`` after it is
created and the resolved path compared with the expected one, which closes all but a race.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat as stat_mod
import sys
import uuid
from typing import Callable, Iterator

from ..errors import RegistryError, UnsafePathError

# os.replace takes the same dir_fd arguments as os.rename (one C function) but is not listed in supports_dir_fd
_FDS = os.open in os.supports_dir_fd and os.rename in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FICLONE = 0x40049409  # Linux ioctl: share the source's extents (btrfs, XFS); copy-on-write


def _link_error(path: str, what: str) -> UnsafePathError:
    try:
        to = os.readlink(path)
    except OSError:
        to = "?"
    return UnsafePathError(f"refusing to write {what}: {path} is a symbolic link (to {to!r}); nb_registry never writes "
                           "through a link inside a download or cache folder, since it could lead outside it. Remove "
                           "the link, or download to a folder you choose (root=...)")


class Folder:
    """``base`` (trusted) and the folders below it, opened without following links. Use as a context
    manager (it holds folder descriptors); ``what`` names the download in errors."""

    def __init__(self, base: str, what: str = "the download") -> None:
        self.base = os.path.abspath(base)
        self.what = what
        self._fds: dict[tuple[str, ...], int] = {}

    def __enter__(self) -> "Folder":
        os.makedirs(self.base, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def path(self, parts: tuple[str, ...]) -> str:
        return os.path.join(self.base, *parts)

    def open(self, parts: tuple[str, ...]) -> int | None:
        """Create (where missing) and open ``base/parts...``; None on platforms without ``dir_fd``."""
        if not _FDS:
            self._check_by_path(parts)
            return None
        if parts in self._fds:
            return self._fds[parts]
        if not parts:
            fd = os.open(self.base, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))  # the base may be a link the user made
        else:
            parent = self.open(parts[:-1])
            name = parts[-1]
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, dir_fd=parent)
            try:
                fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
            except OSError:
                st = os.stat(name, dir_fd=parent, follow_symlinks=False)
                if stat_mod.S_ISLNK(st.st_mode):
                    raise _link_error(self.path(parts), self.what) from None
                raise RegistryError(f"cannot write {self.what}: {self.path(parts)} is a file, not a folder") from None
        self._fds[parts] = fd
        return fd

    def _check_by_path(self, parts: tuple[str, ...]) -> None:
        real = os.path.realpath(self.base)
        for i in range(1, len(parts) + 1):
            p = self.path(parts[:i])
            with contextlib.suppress(FileExistsError):
                os.mkdir(p)
            if os.path.islink(p):
                raise _link_error(p, self.what)
            if not os.path.isdir(p) or os.path.realpath(p) != os.path.join(real, *parts[:i]):
                raise RegistryError(f"cannot write {self.what}: {p} is not a folder")

    def lstat(self, parts: tuple[str, ...]) -> os.stat_result | None:
        """The entry at ``parts`` itself (a link is not followed, and refused); None if there is none."""
        fd = self.open(parts[:-1])
        try:
            st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False) if fd is not None else os.lstat(self.path(parts))
        except FileNotFoundError:
            return None
        if stat_mod.S_ISLNK(st.st_mode):
            raise _link_error(self.path(parts), self.what)
        return st

    def write(self, parts: tuple[str, ...], fill: Callable[[int | None, str], None]) -> None:
        """Put a new file at ``parts``: ``fill(dir_fd, tmp_name)`` creates ``tmp_name`` in the folder
        (relative to ``dir_fd``, or a full path when it is None), then it is renamed over ``parts``."""
        self.lstat(parts)  # refuses a link in the place of the file
        fd = self.open(parts[:-1])
        tmp = f".nbr-{uuid.uuid4().hex[:16]}.part"  # not the entry name: that may already use all 255 bytes
        where = tmp if fd is not None else self.path(parts[:-1] + (tmp,))
        try:
            fill(fd, where)
            if fd is not None:
                os.replace(tmp, parts[-1], src_dir_fd=fd, dst_dir_fd=fd)
            else:
                os.replace(where, self.path(parts))
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise RegistryError(f"could not write {self.path(parts)} ({self.what}): {e.strerror} (the disk is full); "
                                "the file there, if any, was left as it was: free some space and download again") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(where, dir_fd=fd) if fd is not None else os.unlink(where)


def create(dir_fd: int | None, name: str) -> int:
    """A new file ``name`` (relative to ``dir_fd``), never through a link and never an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(name, flags, 0o644, dir_fd=dir_fd) if dir_fd is not None else os.open(name, flags, 0o644)


def copy_into(src: str, dir_fd: int | None, name: str) -> None:
    """Copy ``src`` to a new file ``name``: a reflink where the filesystem has them, else a kernel-side copy."""
    out = create(dir_fd, name)
    try:
        with open(src, "rb") as s:
            if sys.platform.startswith("linux"):
                import fcntl

                try:
                    fcntl.ioctl(out, _FICLONE, s.fileno())
                    return
                except OSError:
                    pass
            _copy_fd(s.fileno(), out)
    finally:
        os.close(out)


def _copy_fd(src: int, dst: int) -> None:
    """Copy in the kernel (``copy_file_range``, else ``sendfile``), else through a buffer."""
    ways = [lambda: os.copy_file_range(src, dst, 1 << 30)] if hasattr(os, "copy_file_range") else []
    if hasattr(os, "sendfile"):
        ways.append(lambda: os.sendfile(dst, src, None, 1 << 30))
    for way in ways:
        copied = 0
        try:
            while n := way():
                copied += n
            return
        except OSError:
            if copied:
                raise
    while chunk := os.read(src, 1 << 20):
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst, view):]


def link_into(src: str, dir_fd: int | None, name: str) -> None:
    """A hard link ``name`` to ``src``."""
    if dir_fd is not None:
        os.link(src, name, dst_dir_fd=dir_fd)
    else:
        os.link(src, name)


def move_into(src: str, dir_fd: int | None, name: str) -> None:
    """Move a finished file (e.g. a fetched reference in a private temporary folder) to ``name``."""
    try:
        if dir_fd is not None:
            os.rename(src, name, dst_dir_fd=dir_fd)
        else:
            os.rename(src, name)
    except OSError:  # another filesystem
        copy_into(src, dir_fd, name)
        os.unlink(src)


@contextlib.contextmanager
def private_tmp() -> Iterator[str]:
    """A private temporary folder (mode 0700) for a file fetched before it is moved into place."""
    import tempfile

    folder = tempfile.mkdtemp(prefix="nb_registry-fetch-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
