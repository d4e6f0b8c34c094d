"""The metadata store interface, in the registry's own terms.

The domain (artifacts, runs, registered models, lineage, retention) calls only this; each backend
implements it: :class:`~nb_registry.store.tinydb_store.TinyDBStore` (the embedded default, TinyDB
shards in a folder, ``memory://``, or a bucket where every write is a conditional PUT) and
:class:`~nb_registry.store.postgres.PostgresStore` (a team's database). This is how MLflow's
registry client calls an ``AbstractStore`` with SQL and file stores as siblings.

Rules every backend keeps (the contract tests in ``tests/test_store_contract.py`` check them):

* Each operation is atomic on its own: it happens entirely or not at all, whatever other processes
  do at the same time, and a process killed in the middle leaves nothing half-visible.
* A check that a write depends on happens inside that write: ``move_alias`` checks that the target
  version exists in the same atomic step that moves the alias, ``link`` that the artifact version
  exists, ``use_version`` that the used version exists, ``delete_versions`` that nothing protects the
  version. No caller has to check first.
* Version numbers of a collection (and of a registered model) are assigned 0, 1, 2 ... without gaps
  or duplicates. Every alias move appends to an append-only history; replaying a history gives the
  current aliases.
* A failed operation changes nothing: not the stored data and not this process's caches. Damaged
  stored data raises :class:`~nb_registry.errors.CorruptMetadataError` naming where it is; it is
  never reset. Missing things raise :class:`~nb_registry.errors.NotFoundError` naming what exists.
* Records in and out are the frozen types of :mod:`nb_registry.store.records`.

Blobs are not the metadata store's business (see :mod:`nb_registry.store.blobs`), except for one
rule shared with garbage collection: a blob is never collectable between its upload and the commit
of the record that keeps it. Writers read :meth:`MetadataStore.gc_generation` before they store or
deduplicate blobs and pass it to the commit; the commit raises :class:`StaleGeneration` (writing
nothing) if a collection ran meanwhile, and the writer re-stores its blobs and commits again.
"""

from __future__ import annotations

import abc
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..errors import RegistryError
from .records import (AliasEvent, Change, Collection, CollectionInfo, Committed, Delivery, Event, Linked, ModelRecord,
                      ModelVersion, Removed, RunRecord, Version)

__all__ = ["MetadataStore", "StaleGeneration", "Selector"]

Selector = "str | int"  # "latest", an alias, or a version number


class StaleGeneration(RegistryError):
    """A garbage collection ran since the writer read the generation; nothing was written.

    The writer re-stores (or re-checks) the blobs it deduplicated against and commits again with
    ``current``, the generation now."""

    def __init__(self, current: int, running: bool = False) -> None:
        what = "is running" if running else "ran meanwhile"
        super().__init__(f"a garbage collection {what} (generation {current}); store the blobs again and retry")
        self.current = current
        self.running = running  # wait a little before the retry: it has not finished


class MetadataStore(abc.ABC):
    """Where a registry keeps what it knows about its blobs. See the module docstring for the rules."""

    url: str  # where it is, for messages (never holds a password)
    read_only: bool = False  # a backend that cannot write safely (a bucket without conditional writes)

    # -- collections and versions ------------------------------------------------------------
    @abc.abstractmethod
    def commit_version(self, version: Version, aliases: Sequence[str], *, by: str,
                       content: Sequence[tuple[str, str]] = (), gc_generation: int) -> Committed:
        """Store ``version`` as the next version of its collection and point ``aliases`` at it.

        The number in ``version.version`` is ignored: the store assigns the next one. The collection
        is created on its first version; a collection keeps one artifact type (InvalidSpecError for
        another). If a version of the collection already has this digest and type, nothing new is
        stored: that version is returned with ``created`` False, and the aliases move to it.
        ``content`` holds ``(blob digest, entry name)`` pairs for :meth:`find_content`."""

    @abc.abstractmethod
    def collection(self, project: str, name: str) -> Collection:
        """A collection with its aliases; NotFoundError naming the project's collections."""

    @abc.abstractmethod
    def collections(self, project: str | None = None, type: str | None = None) -> list[CollectionInfo]:
        """Every collection (of a project, of a type), sorted by project and name."""

    @abc.abstractmethod
    def projects(self) -> list[str]:
        """Projects holding collections or runs, sorted."""

    @abc.abstractmethod
    def get_version(self, project: str, name: str, selector: "str | int") -> Version:
        """The version ``selector`` names: ``"latest"``, an alias, or a version number.

        NotFoundError names the aliases or versions that exist."""

    @abc.abstractmethod
    def versions(self, project: str, name: str, filters: Mapping[str, Any] | None = None,
                 order: "str | Sequence[str] | None" = None, limit: int | None = None) -> list[Version]:
        """Versions of a collection filtered and sorted with :mod:`nb_registry.query` (fields: the stored
        ones plus ``aliases``); ordered by version number by default."""

    @abc.abstractmethod
    def find_content(self, digest: str) -> list[tuple[str, str]]:
        """``(version id, entry name)`` of every live version holding a blob with this digest."""

    # -- aliases and edits -------------------------------------------------------------------
    @abc.abstractmethod
    def move_alias(self, project: str, name: str, alias: str, version: int, *, by: str) -> AliasEvent | None:
        """Point ``alias`` at ``version`` (which must exist, checked in the same step); None when it already was."""

    @abc.abstractmethod
    def remove_alias(self, project: str, name: str, alias: str, *, by: str, version: int | None = None) -> AliasEvent:
        """Remove ``alias``; with ``version``, only if the alias is on that version (else InvalidSpecError)."""

    @abc.abstractmethod
    def alias_history(self, project: str, name: str) -> list[AliasEvent]:
        """Every alias move of a collection, oldest first."""

    @abc.abstractmethod
    def update_version(self, project: str, name: str, version: int, *, description: str | None,
                       metadata: Mapping[str, Any], aliases: Sequence[str], by: str) -> Version:
        """Set a version's description and metadata, and make ``aliases`` exactly the aliases on it
        (others removed from it, these moved to it), in one step."""

    # -- retention and garbage collection ----------------------------------------------------
    @abc.abstractmethod
    def set_retention(self, project: str, name: str, policy: Mapping[str, Any] | None) -> None:
        """Attach a retention policy to a collection (None removes it)."""

    @abc.abstractmethod
    def delete_versions(self, ids: Sequence[str], *, by: str) -> list[Removed]:
        """Remove versions, each unless something protects it, checked in the same step: it is the
        newest of its collection, holds an alias, is linked to a registered model, is a dependency of a
        live version, or was used by a run. Skipped ones say why; the removal is recorded."""

    @abc.abstractmethod
    def removed_versions(self, project: str, name: str) -> list[Removed]:
        """The audit of a collection's removals (retention's and users'), oldest version first: ``removed``
        True, with the digest and size the version had. Every number below the next one is either a live
        version or here."""

    @abc.abstractmethod
    def delete_version(self, project: str, name: str, version: int, *, by: str, delete_aliases: bool = False) -> Removed:
        """Remove one version because a user asked (W&B's ``artifact.delete()``), checked in the same step: refused
        (``removed`` False, ``reason`` saying why) while it is linked to a registered model, is a dependency of a
        live version, was used by a run, or holds aliases (unless ``delete_aliases``: they are removed with it,
        each removal recorded in the alias history). Unlike :meth:`delete_versions` the newest version may go
        (``latest`` then names the newest one left). NotFoundError when there is no such version."""

    @abc.abstractmethod
    def gc_generation(self) -> int:
        """A number that grows each time :meth:`collect` runs."""

    @abc.abstractmethod
    def collect(self, find_garbage: Callable[[], Iterable[str]], delete: Callable[[str], None]) -> list[str]:
        """Garbage collection's critical section: start a new generation, then call ``find_garbage``
        (which reads this store to find blobs nothing needs) and ``delete`` for each, with no commit
        that passed the previous generation landing in between. Returns what was deleted."""

    # -- runs --------------------------------------------------------------------------------
    @abc.abstractmethod
    def save_run(self, run: RunRecord) -> None:
        """Create or replace a run record (runs are written by the process that owns them)."""

    @abc.abstractmethod
    def finish_run(self, run: RunRecord, *, gc_generation: int) -> None:
        """Save a run's final record, which may name a new history blob: StaleGeneration if a
        collection ran since ``gc_generation`` (nothing written)."""

    @abc.abstractmethod
    def use_version(self, project: str, run_id: str, version_id: str) -> RunRecord:
        """Record that a run used a version (which must exist, checked in the same step); the updated run."""

    @abc.abstractmethod
    def get_run(self, project: str, run_id: str) -> RunRecord:
        """A run; NotFoundError when there is none."""

    @abc.abstractmethod
    def find_runs(self, run_id: str) -> list[RunRecord]:
        """Runs with this id in any project."""

    @abc.abstractmethod
    def runs(self, project: str | None = None) -> list[RunRecord]:
        """Every run of a project (or of every project)."""

    @abc.abstractmethod
    def append_history(self, project: str, run_id: str, data: bytes) -> None:
        """Append JSON lines of metric rows to a running run's live history (its owner is the only writer)."""

    @abc.abstractmethod
    def read_history(self, project: str, run_id: str) -> bytes:
        """The live history appended so far (b"" when none)."""

    @abc.abstractmethod
    def drop_history(self, project: str, run_id: str) -> None:
        """Delete the live history (once the run's record names the blob that replaces it)."""

    # -- registered models -------------------------------------------------------------------
    @abc.abstractmethod
    def create_model(self, model: ModelRecord) -> ModelRecord:
        """Create a registered model; AlreadyExistsError if the name is taken."""

    @abc.abstractmethod
    def get_model(self, name: str) -> ModelRecord:
        """A registered model; NotFoundError naming the registered models."""

    @abc.abstractmethod
    def models(self) -> list[ModelRecord]:
        """Every registered model, sorted by name."""

    @abc.abstractmethod
    def update_model(self, name: str, *, description: str | None = None, model_card: str | None = None,
                     tags: Sequence[str] | None = None) -> ModelRecord:
        """Edit what is given (None leaves a field as it is)."""

    @abc.abstractmethod
    def link(self, name: str, artifact: str, *, aliases: Sequence[str], by: str) -> Linked:
        """Register artifact version ``artifact`` (a version id, which must exist, checked in the same
        step) as the next version of registered model ``name`` (created on its first link) and move
        ``aliases`` to it. Linking a version already linked only moves the aliases. Announced as events."""

    @abc.abstractmethod
    def move_model_alias(self, name: str, alias: str, version: int, *, by: str) -> AliasEvent | None:
        """Point a registered model's alias at one of its versions (checked in the same step); announced."""

    @abc.abstractmethod
    def remove_model_alias(self, name: str, alias: str, *, by: str, version: int | None = None) -> AliasEvent:
        """Remove a registered model's alias (only from ``version`` when given); announced."""

    @abc.abstractmethod
    def model_versions(self, name: str) -> list[ModelVersion]:
        """A registered model's versions, oldest first."""

    @abc.abstractmethod
    def model_history(self, name: str) -> list[AliasEvent]:
        """Every alias move of a registered model, oldest first."""

    @abc.abstractmethod
    def set_model_version_tag(self, name: str, version: int, key: str, value: str | None) -> ModelVersion:
        """Set (or with None delete) a tag of a registered version, as MLflow's version tags."""

    # -- the outbox of registered-model events -----------------------------------------------
    @abc.abstractmethod
    def events(self, after: int = 0, limit: int = 1000) -> list[Event]:
        """Events with an id greater than ``after``, oldest first."""

    @abc.abstractmethod
    def record_delivery(self, delivery: Delivery) -> None:
        """Record what a worker did with an event for one hook (the newest record per event and hook counts)."""

    @abc.abstractmethod
    def deliveries(self, model: str | None = None) -> list[Delivery]:
        """The newest delivery record per event and hook (of one model's events), oldest event first."""

    # -- change feed -------------------------------------------------------------------------
    @abc.abstractmethod
    def changes_since(self, cursor: Any = None) -> tuple[list[Change], Any]:
        """What changed since ``cursor`` (None: everything there is) and the cursor to pass next time.

        A change may be reported more than once; none is ever missed."""

    @abc.abstractmethod
    def generation(self) -> int:
        """A number that grows with every write: poll it to know when to refresh a view."""

    # -- prediction logs ---------------------------------------------------------------------
    @abc.abstractmethod
    def append_predictions(self, version_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append prediction rows of a model version (any number of writers, no lock needed)."""

    @abc.abstractmethod
    def predictions(self, version_id: str) -> list[dict[str, Any]]:
        """The prediction rows of a model version, in the order they were appended."""

    # -- moving between backends (nb-registry migrate) ---------------------------------------
    @abc.abstractmethod
    def import_collection(self, collection: Collection, versions: Sequence[Version], history: Sequence[AliasEvent],
                          content: Sequence[tuple[str, str, str]], *, next_version: int) -> bool:
        """Write a collection exactly as another backend holds it: its version numbers (gaps where retention
        removed versions), aliases, alias history and policy, in one step; ``next_version`` is the number its
        next version gets. ``content`` holds ``(blob digest, version id, entry name)`` for :meth:`find_content`.
        Returns False when it is already here, identical (so a migration can run again); refuses
        (InvalidSpecError) a collection that is here and differs."""

    @abc.abstractmethod
    def import_model(self, model: ModelRecord, versions: Sequence[ModelVersion], history: Sequence[AliasEvent],
                     events: Sequence[Event], deliveries: Sequence[Delivery]) -> bool:
        """Write a registered model as another backend holds it (versions, aliases, history, events, deliveries);
        False when it is already here and identical, InvalidSpecError when it is here and differs."""

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Release connections and file handles (the store is unusable afterwards)."""

    def describe(self) -> dict[str, Any]:
        """What this backend is, for ``nb-registry status`` and the server's status endpoint."""
        return {"backend": type(self).__name__, "url": self.url, "read_only": self.read_only}


def check_selector(selector: Any) -> None:
    """Shared validation for ``get_version``'s selector (used by every backend)."""
    if isinstance(selector, bool) or not isinstance(selector, (str, int)):
        from ..errors import InvalidSpecError

        raise InvalidSpecError(f"a version selector is 'latest', an alias or a number, not {selector!r}")

