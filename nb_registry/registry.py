"""The registry: one root's artifacts, runs, registered models and lineage, put together.

:class:`Registry` is what the public API (:mod:`nb_registry.api`) and the faces hold. It is
:class:`~nb_registry.artifacts.Artifacts` (logging, resolving, aliases, content queries) plus what a
logged artifact may ask about runs (``logged_by``, ``used_by``) and the lineage index. Runs
(:mod:`.runs`), registered models (:mod:`.models`), lineage (:mod:`.lineage`) and retention
(:mod:`.retention`) build on :class:`~nb_registry.artifacts.Artifacts`; only this module knows them all.
"""

from __future__ import annotations

from typing import Any

from .artifact import Artifact
from .artifacts import Artifacts
from .lineage import LineageIndex
from .runs import Run, load_run

__all__ = ["Registry"]


class Registry(Artifacts):
    """One registry root. Thread-safe for readers; every write is one atomic store operation."""

    def __init__(self, root: str | None = None, cache_dir: str | None = None, blobs: str | None = None,
                 **storage_options: Any) -> None:
        super().__init__(root, cache_dir=cache_dir, blobs=blobs, **storage_options)
        self.lineage_index = LineageIndex(self.meta)

    def run(self, run_path: str) -> Run:
        """A run by ``project/id`` or by ``id`` alone (searched in every project)."""
        return load_run(self, run_path)

    def used_by(self, art: Artifact) -> list[Run]:
        """The runs that used this version (from the lineage index)."""
        return [self.run(path) for path in self.lineage_index.refresh().users_of(art.id)]
