"""The embedded default backend: TinyDB shards in a folder, in ``memory://``, or in a bucket.

:class:`TinyDBStore` implements :class:`~nb_registry.store.interface.MetadataStore` with TinyDB's
own tables and documents over :mod:`nb_registry.store.shards` (cached reads, all-or-nothing write
transactions). Where writers share a lock (a folder, ``memory://``) a transaction holds it; on an
object store every write is a conditional PUT and a lost race re-runs the transaction. The layout is
in :mod:`.layout`; registries written by 0.1.0 open as they are.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Callable, Iterable, Mapping, Sequence

from tinydb.table import Document

from ... import envinfo
from ...errors import InvalidSpecError, LockTimeoutError
from ..files import Files
from ..interface import MetadataStore
from ..records import Change
from ..shards import Shards, Tx
from . import heads, layout
from .imports import ImportsMixin
from .models import ModelsMixin
from .runs import RunsMixin
from .versions import VersionsMixin, _split

__all__ = ["TinyDBStore"]

_RECENT = 64  # shards re-checked by changes_since, in case a reader raced the writer of a journal line
# A collection on an object store renews its state every GC_STALE_AFTER / 6 s; one not renewed for GC_STALE_AFTER
# is taken for dead by the next writer. Before each deletion it checks that its last renewal is recent.
GC_STALE_AFTER = float(os.environ.get("NB_REGISTRY_GC_STALE", "30"))


class TinyDBStore(VersionsMixin, RunsMixin, ModelsMixin, ImportsMixin, MetadataStore):
    """Metadata in TinyDB shards under ``files`` (a folder, ``memory://``, or a bucket)."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self.shards = Shards(files, normalize={layout.REGISTRY: layout.normalize_registry}, validate=layout.problem)
        self.url = files.url
        self._digest_maps: dict[str, Any] = {}
        self._content: tuple[int, dict[str, list[tuple[str, str]]]] = (0, {})
        self._content_lock = threading.Lock()
        self._upgraded = False

    @property  # type: ignore[override]
    def read_only(self) -> bool:
        """An object store that cannot write conditionally (probed at the first write, not when opened)."""
        return bool(getattr(self.files, "read_only", False))

    def _now(self) -> str:
        return envinfo.now()

    def __repr__(self) -> str:
        return f"<TinyDBStore {self.url}>"

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "locking": "file lock" if self.files.has_lock else "conditional writes"}

    # -- content index ------------------------------------------------------------------------
    def find_content(self, digest: str) -> list[tuple[str, str]]:
        with self._content_lock:
            offset, index = self._content
            data = self.files.read_from(layout.CONTENT, offset)
            end = data.rfind(b"\n") + 1
            if offset and not data and self.files.size(layout.CONTENT) < offset:
                offset, index, data = 0, {}, self.files.read_from(layout.CONTENT, 0)  # rewritten: read again
                end = data.rfind(b"\n") + 1
            for raw in data[:end].split(b"\n"):
                try:
                    d, vid, entry = raw.decode().split("\t", 2)
                except (UnicodeDecodeError, ValueError):
                    continue  # a damaged line never stops readers of the rest
                index.setdefault(d, []).append((vid, entry))
            self._content = (offset + end, index)
            found = list(dict.fromkeys(index.get(digest, [])))
        out = []
        for vid, entry in found:
            p, n, number = _split(vid)
            if heads.get_doc(self.shards, p, n, number) is not None:
                out.append((vid, entry))
        return out

    # -- garbage collection -------------------------------------------------------------------
    def gc_generation(self) -> int:
        return int(self._gc_state(self.shards).get("generation", 0))

    def _set_gc(self, running: Any) -> int:
        def bump(tx: Tx) -> int:
            state = self._gc_state(tx)
            if running is not None and state.get("running") and not self._gc_is_stale(state):
                raise LockTimeoutError(f"another garbage collection is running on {self.url} "
                                       f"(started by {state['running'].get('by')} at {state['running'].get('at')}); "
                                       "try again when it is done")
            new = {"generation": int(state.get("generation", 0)) + 1, "at": self._now(), "running": running}
            tx.table(layout.REGISTRY, "gc").upsert(Document(new, doc_id=1))
            return new["generation"]

        return self.shards.transact(bump)

    def _gc_is_stale(self, state: Mapping[str, Any]) -> bool:
        renewed = (state.get("running") or {}).get("renewed", 0)
        return time.time() - float(renewed) > GC_STALE_AFTER

    def collect(self, find_garbage: Callable[[], Iterable[str]], delete: Callable[[str], None]) -> list[str]:
        """See the interface. With a lock: hold it while the generation moves on, the garbage is found and
        deleted, and the generation moves on again (a writer that read the generation while this ran
        deduplicated against blobs that may be gone, and must store them again). On an object store:
        mark the collection running, fence every head and every running run (so a commit that passed the
        old generation fails its conditional PUT and sees the new one), then find and delete."""
        if self.files.has_lock:
            with self.files.lock():
                self._set_gc(None)
                dead = list(find_garbage())
                for digest in dead:
                    delete(digest)
                self._set_gc(None)
            return dead
        me = {"by": f"{envinfo.user()}@{envinfo.host()}", "at": self._now(), "renewed": time.time()}
        generation = self._set_gc(me)
        lost, stop = threading.Event(), threading.Event()

        renewed = [time.monotonic()]

        def renew() -> None:  # while this collection works: a conditional write, so it never revives a taken-over one
            while not stop.wait(GC_STALE_AFTER / 6):
                try:
                    self._renew_gc(me)
                    renewed[0] = time.monotonic()
                except InvalidSpecError:
                    lost.set()
                    return
                except Exception:  # noqa: BLE001 - a missed renewal is retried; a dead one shows as stale
                    continue

        thread = threading.Thread(target=renew, daemon=True, name="nb_registry-gc-state")
        thread.start()
        dead: list[str] = []
        try:
            self._fence(generation)
            for digest in find_garbage():
                if not lost.is_set() and time.monotonic() - renewed[0] > GC_STALE_AFTER / 3:
                    try:  # the renewals fell behind (a paused process?): renew now, or stop
                        self._renew_gc(me)
                        renewed[0] = time.monotonic()
                    except InvalidSpecError:
                        lost.set()
                if lost.is_set():
                    raise LockTimeoutError("this garbage collection paused so long that another writer took it for dead; "
                                           "it stopped before deleting more (run gc again)")
                delete(digest)
                dead.append(digest)
        finally:
            stop.set()
            thread.join()
            if not lost.is_set():
                self._set_gc(None)
        return dead

    def _take_over_dead_gc(self) -> None:
        """A collection that stopped renewing its state died; take it over so writers go on (a new generation:
        whatever it deleted, writers store their blobs again). A conditional write: if it renewed meanwhile, it
        lives, and nothing is taken."""
        if self.files.has_lock:
            return  # a dead writer's lock is released by the operating system
        seen = self._gc_state(self.shards)
        if not seen.get("running") or not self._gc_is_stale(seen):
            return

        def take(tx: Tx) -> None:
            state = self._gc_state(tx)
            if state.get("running") == seen.get("running"):
                tx.table(layout.REGISTRY, "gc").upsert(Document({"generation": int(state.get("generation", 0)) + 1,
                                                                 "at": self._now(), "running": None}, doc_id=1))

        self.shards.transact(take)

    def _renew_gc(self, me: dict[str, Any]) -> None:
        def renew(tx: Tx) -> None:
            state = self._gc_state(tx)
            if (state.get("running") or {}).get("at") != me["at"]:
                raise InvalidSpecError("this garbage collection was taken for a dead one by another writer; stopped")
            tx.table(layout.REGISTRY, "gc").update({"running": {**me, "renewed": time.time()}}, doc_ids=[1])

        self.shards.transact(renew)

    def _fence(self, generation: int) -> None:
        for c in self.collections():
            self.shards.transact(lambda tx, c=c: heads.set_coll(tx, c.project, c.name, gc_fence=generation))
        for run in self.runs():
            if run.state == "running":
                self.shards.transact(lambda tx, run=run: tx.table(layout.run(run.project, run.id), "run").update(
                    {"gc_fence": generation}, doc_ids=[1]))

    # -- pins for registries written before they existed ----------------------------------------
    def _upgrade_pins(self) -> None:
        """Registries written by 0.1.0 hold no pins (what keeps a linked, used or referenced version from
        retention); before the first removal they are derived from the links, runs and versions."""
        if self._upgraded:
            return
        reg = self.shards.read(layout.REGISTRY) or {}
        if (reg.get("format", {}).get("1") or {}).get("pins"):
            self._upgraded = True
            return
        wanted: dict[str, str] = {}
        for m in self.models():
            for v in self.model_versions(m.name):
                wanted.setdefault(v.artifact, f"linked as model-registry/{m.name}:v{v.version}")
        refs: list[tuple[str, str]] = []
        for info in self.collections():
            for v in self.versions(info.project, info.name):
                refs += [(dep, v.id) for dep in v.deps]
        for run in self.runs():
            for vid in run.inputs:
                wanted.setdefault(vid, f"used by run {run.path}")
        for vid, why in wanted.items():
            try:
                self.shards.transact(lambda tx, vid=vid, why=why: self._pin(tx, vid, why))
            except LookupError:
                continue  # the version is gone already
        for dep, ref in refs:
            try:
                self.shards.transact(lambda tx, dep=dep, ref=ref: self._pin(tx, dep, ref=ref))
            except LookupError:
                continue
        self.shards.transact(lambda tx: tx.table(layout.REGISTRY, "format").upsert(Document({"pins": 1}, doc_id=1)))
        self._upgraded = True

    # -- the change feed ----------------------------------------------------------------------
    def changes_since(self, cursor: Any = None) -> tuple[list[Change], Any]:
        if cursor is None:
            _, offset = self.shards.journal_since(0)
            changes = [Change("collection", f"{c.project}/{c.name}") for c in self.collections()]
            changes += [Change("run", r.path) for r in self.runs()]
            changes += [Change("model", m.name) for m in self.models()]
            return changes, (offset, ())
        offset, recent = cursor
        lines, offset = self.shards.journal_since(offset)
        # A journal line is written before its shard: a reader that came in between read the old shard.
        # Shards named recently are checked again by token, so such a change is reported once more.
        rels = dict.fromkeys([r for r, tok in recent if self.files.token(r) != tok] + lines)
        seen = {r: tok for r, tok in recent}
        for rel in lines:
            seen.pop(rel, None)
            seen[rel] = self.files.token(rel)
        recent = tuple(list(seen.items())[-_RECENT:])
        out = []
        for rel in rels:
            parsed = layout.parse_rel(rel)
            if parsed and parsed[0] != "registry":
                out.append(Change(*parsed))
        return list(dict.fromkeys(out)), (offset, recent)

    def generation(self) -> int:
        return self.shards.generation()

    # -- prediction logs ----------------------------------------------------------------------
    def append_predictions(self, version_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        p, n, number = _split(version_id)
        lines = "".join(json.dumps(r, default=str, separators=(",", ":")) + "\n" for r in rows)
        if lines:
            self.files.append(layout.predictions(p, n, number), lines.encode())

    def predictions(self, version_id: str) -> list[dict[str, Any]]:
        p, n, number = _split(version_id)
        raw = self.files.read_from(layout.predictions(p, n, number), 0)
        out = []
        for line in raw.split(b"\n"):
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue  # a line torn by a crash mid-write
        return out

