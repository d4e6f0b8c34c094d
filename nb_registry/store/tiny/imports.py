"""Writing collections and registered models exactly as another backend holds them (``nb-registry migrate``)."""

from __future__ import annotations

from typing import Any, Sequence

from tinydb.table import Document

from ...errors import InvalidSpecError
from ..records import AliasEvent, Collection, Delivery, Event, ModelRecord, ModelVersion, Version
from ..shards import Shards, Tx
from . import heads, layout
from .models import _doc, _link_record


def _same_versions(here: list[dict[str, Any]], there: Sequence[Version]) -> bool:
    return [(d["version"], d["digest"]) for d in here] == [(v.version, v.digest) for v in there]


class ImportsMixin:
    shards: Shards

    def import_collection(self, collection: Collection, versions: Sequence[Version], history: Sequence[AliasEvent],
                          content: Sequence[tuple[str, str, str]], *, next_version: int) -> bool:
        p, n = collection.project, collection.name
        versions = sorted(versions, key=lambda v: v.version)

        def write(tx: Tx) -> bool:
            rel = layout.head(p, n)
            data = tx.peek(rel)
            if heads.coll(data) is not None:
                here = list(heads.iter_docs(tx, p, n, data))
                if _same_versions(here, versions) and heads.coll(data)["aliases"] == dict(collection.aliases):  # type: ignore[index]
                    return False
                raise InvalidSpecError(f"collection {p}/{n} already exists in {self.shards.url} with other versions or "  # type: ignore[attr-defined]
                                       "aliases; migrate into an empty registry, or remove it there first")
            self._register(tx, p, n, collection.type, collection.created_at)  # type: ignore[attr-defined]
            docs = [v.to_doc() for v in versions]
            sealed, keep = [], docs
            while len(keep) >= 2 * layout.CHUNK:
                sealed.append(keep[: layout.CHUNK])
                keep = keep[layout.CHUNK:]
            chunks = []
            for k, group in enumerate(sealed):  # chunks before the head that lists them
                tx.table(layout.chunk(p, n, k), "versions").insert_multiple(Document(d, doc_id=d["version"] + 1) for d in group)
                chunks.append({"k": k, "first": group[0]["version"], "last": group[-1]["version"]})
            events = [e.to_dict() for e in history]
            archives, recent = [], events
            while len(recent) >= 2 * layout.HISTORY_KEEP:
                start = len(events) - len(recent) + 1
                tx.table(layout.archive(p, n, start), "alias_history").insert_multiple(
                    Document(e, doc_id=start + i) for i, e in enumerate(recent[: layout.HISTORY_KEEP]))
                archives.append(start)
                recent = recent[layout.HISTORY_KEEP:]
            first = len(events) - len(recent) + 1
            tx.append(layout.CONTENT, [f"{d}\t{vid}\t{e}" for d, vid, e in content])
            tx.table(rel, "collection").insert(Document(
                {**heads.FRESH, "project": p, "name": n, "type": collection.type, "created_at": collection.created_at,
                 "next": next_version, "aliases": dict(collection.aliases),
                 "retention": dict(collection.retention) if collection.retention else None, "chunks": chunks,
                 "history": {"archives": archives, "archived": first - 1}}, doc_id=1))
            tx.table(rel, "versions").insert_multiple(Document(d, doc_id=d["version"] + 1) for d in keep)
            tx.table(rel, "alias_history").insert_multiple(Document(e, doc_id=first + i) for i, e in enumerate(recent))
            self._forget_pins(tx)
            return True

        return self.shards.transact(write)

    def _forget_pins(self, tx: Tx) -> None:
        """Pins (what retention keeps) are derived again from links, runs and dependencies before the next removal."""
        tx.table(layout.REGISTRY, "format").remove(doc_ids=[1])
        self._upgraded = False

    def import_model(self, model: ModelRecord, versions: Sequence[ModelVersion], history: Sequence[AliasEvent],
                     events: Sequence[Event], deliveries: Sequence[Delivery]) -> bool:
        def write(tx: Tx) -> bool:
            rel = layout.model(model.name)
            data = tx.peek(rel)
            if _doc(data):
                here = [_link_record(model.name, v) for v in layout.sorted_docs(data.get("versions", {}))]  # type: ignore[union-attr]
                if [(v.version, v.artifact) for v in here] == [(v.version, v.artifact) for v in versions] \
                        and dict(_doc(data).get("aliases", {})) == dict(model.aliases):  # type: ignore[union-attr]
                    return False
                raise InvalidSpecError(f"registered model {model.name!r} already exists in {self.shards.url} and differs; "
                                       "migrate into an empty registry")
            doc = {"name": model.name, "description": model.description, "model_card": model.model_card,
                   "tags": list(model.tags), "aliases": dict(model.aliases), "created_at": model.created_at,
                   "created_by": model.created_by, "next": max((v.version for v in versions), default=-1) + 1}
            tx.table(rel, "model").insert(Document(doc, doc_id=1))
            tx.table(rel, "versions").insert_multiple(Document(
                {"version": v.version, "artifact": v.artifact, "digest": v.digest, "linked_at": v.linked_at,
                 "linked_by": v.linked_by, "tags": dict(v.tags)}, doc_id=v.version + 1) for v in versions)
            tx.table(rel, "history").insert_multiple(Document(e.to_dict(), doc_id=i + 1) for i, e in enumerate(history))
            tx.table(rel, "events").insert_multiple(Document(e.to_dict(), doc_id=i + 1) for i, e in enumerate(events))
            tx.table(rel, "deliveries").insert_multiple(d.to_dict() for d in deliveries)
            self._forget_pins(tx)
            return True

        return self.shards.transact(write)
