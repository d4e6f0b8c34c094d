"""The errors nb_registry raises. Every one says what was wrong and, where it helps, what exists.

The faces (CLI, magics, server) translate these once at their edge: a CLI exit code, an IPython
``UsageError``, an HTTP status. Nothing in the package raises a bare ``Exception``.
"""

from __future__ import annotations

__all__ = [
    "RegistryError",
    "NotFoundError",
    "EntryNotFoundError",
    "AlreadyExistsError",
    "ArtifactStateError",
    "InvalidNameError",
    "InvalidSpecError",
    "IntegrityError",
    "CorruptMetadataError",
    "UnsafePathError",
    "LockTimeoutError",
    "QueryError",
    "StorageError",
]


class RegistryError(Exception):
    """Base class of every error nb_registry raises on purpose."""

    exit_code = 1  # what the CLI exits with


class NotFoundError(RegistryError, LookupError):
    """An artifact, alias, file, run or registered model that does not exist."""

    exit_code = 3


class EntryNotFoundError(NotFoundError, FileNotFoundError, KeyError):
    """A local file to add, or an entry of an artifact, that does not exist. Also a ``FileNotFoundError``
    and a ``KeyError``, which W&B code catches for the same cases (``add_file``, ``get_entry``)."""


class AlreadyExistsError(RegistryError, ValueError):
    """Creating something whose name is taken (also a ``ValueError``, as W&B raises for a duplicate name)."""

    exit_code = 4


class ArtifactStateError(RegistryError, ValueError, AttributeError):
    """An operation the artifact's state does not allow: editing a logged version, reading what only a logged
    version has from a draft. Also a ``ValueError`` and an ``AttributeError`` (W&B's ``ArtifactFinalizedError``
    and ``ArtifactNotLoggedError`` are the latter), so either ``except`` clause of W&B code catches it."""

    exit_code = 2


class InvalidNameError(RegistryError, ValueError):
    """A name, alias or tag with characters outside the allowed set."""

    exit_code = 2


class InvalidSpecError(RegistryError, ValueError):
    """A bad argument: an unparsable spec, unserialisable metadata, a bad filter."""

    exit_code = 2


class QueryError(InvalidSpecError):
    """A filter or sort that names an unknown field or operator."""


class IntegrityError(RegistryError):
    """Stored content does not match its recorded digest (a damaged blob, a changed reference)."""

    exit_code = 5


class CorruptMetadataError(RegistryError):
    """A metadata file cannot be parsed. It is reported, never reset."""

    exit_code = 5


class UnsafePathError(RegistryError, ValueError):
    """An entry name that would write outside the download folder."""

    exit_code = 2


class LockTimeoutError(RegistryError, TimeoutError):
    """Another writer held the registry lock for too long."""

    exit_code = 6


class StorageError(RegistryError):
    """A storage back end failed: missing credentials, access denied, an unknown bucket, an unreachable
    endpoint. The message names the URL, what failed and what the back end reads to fix it; the back end's
    own exception is chained (``__cause__``). Made by :mod:`nb_registry.store.storage_errors`."""

    exit_code = 7
    url: str | None = None  # what was being read or written
    kind: str | None = None  # "credentials", "denied", "bucket", "unreachable" or "failed"
