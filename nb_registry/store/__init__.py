"""The storage layer: metadata shards (TinyDB) and content-addressed blobs (fsspec) under one root.

``<root>/meta/`` holds the metadata (see :mod:`.metadata`), ``<root>/blobs/`` the blobs. A root is
a local folder or any fsspec URL (``memory://team``, ``s3://bucket/registry``). Reads of remote
blobs go through a local cache folder, so everything already fetched works offline.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import InvalidSpecError, NotFoundError, RegistryError
from .blobs import BlobStore
from .files import open_files
from .hashing import StatCache
from .metadata import MetadataStore

__all__ = ["Store", "open_store", "default_root", "BlobStore", "MetadataStore", "StatCache"]


def default_root() -> str:
    return os.environ.get("NB_REGISTRY_ROOT") or os.path.join(os.path.expanduser("~"), ".nb_registry")


@dataclass
class Store:
    url: str
    meta: MetadataStore
    blobs: BlobStore
    cache_dir: str  # local folder: stat cache, fetched blobs, downloads
    stat_cache: StatCache
    _local_blobs: BlobStore | None = None

    @property
    def local_blobs(self) -> BlobStore:
        """A local blob store: the store itself when local, else a cache of fetched blobs."""
        if self.blobs.is_local:
            return self.blobs
        if self._local_blobs is None:
            self._local_blobs = BlobStore(os.path.join(self.cache_dir, "blobs"), self.stat_cache)
        return self._local_blobs


def open_store(root: str | None = None, cache_dir: str | None = None, fsync_blobs: bool | None = None,
               **storage_options: Any) -> Store:
    url = str(root or default_root())
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    local = isinstance(fs, LocalFileSystem)
    if local:
        url = os.path.abspath(os.path.expanduser(path))
    if cache_dir is None:
        cache_dir = os.environ.get("NB_REGISTRY_CACHE") or (
            os.path.join(url, "cache") if local
            else os.path.join(os.path.expanduser("~"), ".cache", "nb_registry", hashlib.sha256(url.encode()).hexdigest()[:16])
        )
    if fsync_blobs is None:
        fsync_blobs = os.environ.get("NB_REGISTRY_FSYNC_BLOBS", "") not in ("", "0", "false")
    stat_cache = StatCache(os.path.join(cache_dir, "stat.sqlite"))
    join = os.path.join if local else (lambda a, b: f"{a.rstrip('/')}/{b}")
    meta = MetadataStore(open_files(join(url, "meta"), **storage_options))
    blobs = BlobStore(join(url, "blobs"), stat_cache, fsync=fsync_blobs, **storage_options)
    return Store(url, meta, blobs, cache_dir, stat_cache)


def check_root(root: str | None = None, must_exist: bool = True) -> None:
    """Check a registry root without creating anything: a bad URL is InvalidSpecError, a missing
    package or unreachable storage RegistryError, and (with ``must_exist``) a root that does not
    exist NotFoundError. Reads use it so that a typo in a root is not silently a new, empty registry."""
    url = str(root or default_root())
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ValueError as e:
        raise InvalidSpecError(f"bad registry root {url!r}: {e}; a root is a folder or an fsspec URL such as "
                               "s3://bucket/registry or memory://name") from None
    except ImportError as e:
        raise RegistryError(f"cannot open registry root {url!r}: {e}") from None
    if isinstance(fs, LocalFileSystem):
        path = os.path.abspath(os.path.expanduser(path))
        if os.path.exists(path) and not os.path.isdir(path):
            raise InvalidSpecError(f"registry root {path} is a file, not a folder")
    if must_exist:
        try:
            exists = fs.exists(path)
        except OSError:
            raise
        except Exception as e:  # no credentials, an unknown endpoint ...
            raise RegistryError(f"cannot reach registry root {url!r}: {type(e).__name__}: {e}") from None
        if not exists:
            raise NotFoundError(f"registry root {path if isinstance(fs, LocalFileSystem) else url} does not exist "
                                "(nothing has been logged there); check --root or NB_REGISTRY_ROOT")
