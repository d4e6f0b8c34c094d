"""Manifests: the list of entries of a version, stored as a content-addressed blob.

A manifest is ``{"format": "nb_registry.manifest/1", "entries": {name: {"digest", "size", ...}}}``.
The version's digest is a hash over a header and the sorted ``path:digest`` lines (as W&B's
manifest digest is), so it names the content, whatever the entries were called on disk.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from .errors import IntegrityError, InvalidSpecError, NotFoundError
from .store.blobs import BlobStore
from .store.hashing import blake3

MANIFEST_FORMAT = "nb_registry.manifest/1"
Entries = dict[str, dict[str, Any]]


def manifest_digest(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """The version digest: a hash over a header and sorted ``path:digest`` lines."""
    h = blake3(f"{MANIFEST_FORMAT}\n".encode())
    for name in sorted(entries):
        h.update(f"{name}:{entries[name]['digest']}\n".encode())
    return h.hexdigest()


def encode(entries: Mapping[str, Mapping[str, Any]]) -> bytes:
    return json.dumps({"format": MANIFEST_FORMAT, "entries": entries}, sort_keys=True, separators=(",", ":")).encode()


class Manifests:
    """Reads manifests from a blob store, verified, and keeps them (they never change)."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs
        self._cache: dict[str, Entries] = {}

    def load(self, digest: str) -> Entries:
        m = self._cache.get(digest)
        if m is None:
            try:
                data = json.loads(self.blobs.read_verified(digest))
            except NotFoundError:  # the version is listed, so its manifest must exist: the store is damaged
                raise IntegrityError(f"the manifest (file list) {digest} of a logged version is missing from "
                                     f"{self.blobs.url}; restore it from a backup of the blobs folder") from None
            except ValueError:
                raise IntegrityError(f"the manifest {digest} in {self.blobs.url} is not JSON") from None
            if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("entries"), dict):
                found = data.get("format") if isinstance(data, dict) else type(data).__name__
                raise InvalidSpecError(f"manifest {digest} has unknown format {found!r}")
            m = self._cache[digest] = data["entries"]
        return m

    def remember(self, digest: str, entries: Entries) -> None:
        self._cache[digest] = entries

    def forget(self) -> None:
        self._cache.clear()
