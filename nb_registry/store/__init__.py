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
from .files import Files, LocalFiles, MemoryFiles
from .hashing import StatCache
from .interface import MetadataStore

__all__ = ["Store", "open_store", "open_metadata", "default_root", "BlobStore", "MetadataStore", "StatCache",
           "is_database_url"]

DATABASE_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def default_root() -> str:
    return os.environ.get("NB_REGISTRY_ROOT") or os.path.join(os.path.expanduser("~"), ".nb_registry")


def is_database_url(url: str) -> bool:
    return str(url).startswith(DATABASE_SCHEMES)


def open_files(url: str, **storage_options: Any) -> Files:
    """The metadata files at ``url``: a folder (file lock), ``memory://`` (in-process lock), or an
    object store (conditional writes, no lock)."""
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    if isinstance(fs, LocalFileSystem):
        return LocalFiles(path)
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    if "memory" in protocols:
        return MemoryFiles(url, **storage_options)
    from .objects import ObjectFiles

    return ObjectFiles(url, **storage_options)


def _join(url: str, local: bool, name: str) -> str:
    return os.path.join(url, name) if local else f"{url.rstrip('/')}/{name}"


def open_metadata(root: str, **storage_options: Any) -> MetadataStore:
    """The metadata store of a registry root: PostgreSQL for a ``postgresql://`` URL, else TinyDB shards
    under ``<root>/meta`` (a folder, ``memory://``, or a bucket written with conditional PUTs)."""
    if is_database_url(root):
        from .postgres import PostgresStore

        return PostgresStore(root)
    from .tiny import TinyDBStore

    fs, path = fsspec.core.url_to_fs(root, **storage_options)
    local = isinstance(fs, LocalFileSystem)
    url = os.path.abspath(os.path.expanduser(path)) if local else root
    return TinyDBStore(open_files(_join(url, local, "meta"), **storage_options))


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
               blobs: str | None = None, **storage_options: Any) -> Store:
    """Open a registry: metadata at ``root`` and blobs at ``blobs`` (default ``<root>/blobs``; a
    PostgreSQL root needs one: ``blobs=``, ``NB_REGISTRY_BLOBS`` or the CLI's ``--blobs``)."""
    url = str(root or default_root())
    blobs = blobs or os.environ.get("NB_REGISTRY_BLOBS") or None
    if is_database_url(url):
        if not blobs:
            raise InvalidSpecError(
                f"a PostgreSQL registry ({_without_password(url)}) keeps only metadata; say where its blobs go: "
                "blobs='s3://bucket/prefix' (or a shared folder), NB_REGISTRY_BLOBS, or the CLI's --blobs")
        local = False
    else:
        fs, path = fsspec.core.url_to_fs(url, **storage_options)
        local = isinstance(fs, LocalFileSystem)
        if local:
            url = os.path.abspath(os.path.expanduser(path))
    blob_url = blobs or _join(url, local, "blobs")
    blob_fs, blob_path = fsspec.core.url_to_fs(blob_url, **storage_options)
    if isinstance(blob_fs, LocalFileSystem):
        blob_url = os.path.abspath(os.path.expanduser(blob_path))
    if cache_dir is None:
        key = url if not blobs else f"{url}|{blob_url}"
        cache_dir = os.environ.get("NB_REGISTRY_CACHE") or (
            os.path.join(url, "cache") if local and not blobs
            else os.path.join(os.path.expanduser("~"), ".cache", "nb_registry", hashlib.sha256(key.encode()).hexdigest()[:16])
        )
    if fsync_blobs is None:
        fsync_blobs = os.environ.get("NB_REGISTRY_FSYNC_BLOBS", "") not in ("", "0", "false")
    stat_cache = StatCache(os.path.join(cache_dir, "stat.sqlite"))
    meta = open_metadata(url, **storage_options)
    store_blobs = BlobStore(blob_url, stat_cache, fsync=fsync_blobs, **storage_options)
    return Store(url if not is_database_url(url) else _without_password(url), meta, store_blobs, cache_dir, stat_cache)


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc[1]}"))


def check_root(root: str | None = None, must_exist: bool = True) -> None:
    """Check a registry root without creating anything: a bad URL is InvalidSpecError, a missing
    package or unreachable storage RegistryError, and (with ``must_exist``) a root that does not
    exist NotFoundError. Reads use it so that a typo in a root is not silently a new, empty registry."""
    url = str(root or default_root())
    if is_database_url(url):
        return  # the database says itself, when it is opened, whether it can be reached
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
        except Exception as e:  # no credentials, an unknown endpoint ...: the one StorageError that says how to fix it
            from .storage_errors import translate

            storage = translate(e, url if "://" in url else None, "open the registry at")
            if storage is not None:
                raise storage from e
            raise RegistryError(f"cannot reach registry root {url!r}: {type(e).__name__}: {e}") from None
        if not exists:
            raise NotFoundError(f"registry root {path if isinstance(fs, LocalFileSystem) else url} does not exist "
                                "(nothing has been logged there); check --root or NB_REGISTRY_ROOT")
