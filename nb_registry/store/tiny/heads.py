"""A collection's head and sealed chunks: finding, listing, adding and removing versions.

Everything here takes a *source*: :class:`~nb_registry.store.shards.Shards` to read (cached), or a
:class:`~nb_registry.store.shards.Tx` to read fresh and write. Both have ``peek(rel)`` (read, never
edit) and ``table(rel, name)``; writes go through TinyDB's tables of the transaction.

A version is live when its document is in the head's or a chunk's ``versions`` table and the head
holds no tombstone for it. A removal writes the tombstone into the head first (the head is where the
checks live: aliases and pins), then takes the document out of its chunk; a crash in between leaves
a tombstone that still hides it, and the next write to the collection finishes the job.
"""

from __future__ import annotations

from typing import Any, Iterator

from tinydb.table import Document

from . import layout

# The head's collection document (doc 1) and what each field holds:
#   project, name, type, created_at   as given by the first version
#   next          the number the next version gets
#   aliases       {alias: version number}
#   retention     the policy, or None
#   chunks        [{"k": index, "first": n, "last": n}], sealed chunks in order
#   history       {"archives": [start, ...]}: archived alias-history files
#   pins          {"n": why}: versions that retention must keep (linked, used by a run, a dependency)
#   gc_fence      the gc generation this head was last fenced or committed at (object stores)
FRESH = {"next": 0, "aliases": {}, "retention": None, "chunks": [], "history": {"archives": []}, "pins": {}, "gc_fence": 0}


def coll(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The collection document of a parsed head (with the fields 0.1.0 did not write filled in)."""
    doc = (data or {}).get("collection", {}).get("1")
    if doc is None:
        return None
    return {**FRESH, **doc}


def pin_of(c: dict[str, Any], n: int) -> dict[str, Any]:
    """A version's pin: ``{"keep": why it stays for good, or None; "refs": versions depending on it}``."""
    pin = c["pins"].get(str(n))
    if pin is None:
        return {"keep": None, "refs": []}
    if isinstance(pin, str):
        return {"keep": pin or None, "refs": []}
    return {"keep": pin.get("keep"), "refs": list(pin.get("refs") or [])}


def tombstones(data: dict[str, Any] | None) -> dict[str, Any]:
    return (data or {}).get("removed", {})


def _pending(data: dict[str, Any] | None) -> set[str]:
    """Doc ids the head has tombstones for while their documents may still sit in a chunk."""
    return {k for k, t in tombstones(data).items() if t.get("in_chunk")}


def get_doc(src: Any, project: str, name: str, n: int, data: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The document of live version ``n``, or None."""
    data = data if data is not None else src.peek(layout.head(project, name))
    c = coll(data)
    if c is None:
        return None
    key = str(n + 1)
    if key in tombstones(data):
        return None
    doc = data.get("versions", {}).get(key)  # type: ignore[union-attr]
    if doc is not None:
        return doc  # type: ignore[no-any-return]
    k = layout.find_chunk(c["chunks"], n)
    if k is None:
        return None
    chunk = src.peek(layout.chunk(project, name, k)) or {}
    return chunk.get("versions", {}).get(key)  # type: ignore[no-any-return]


def iter_docs(src: Any, project: str, name: str, data: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    """Every live version document, oldest first."""
    c = coll(data)
    if c is None:
        return
    hidden = set(tombstones(data))
    for ch in c["chunks"]:
        chunk = src.peek(layout.chunk(project, name, ch["k"])) or {}
        for doc in layout.sorted_docs(chunk.get("versions", {})):
            if str(doc["version"] + 1) not in hidden:
                yield doc
    for doc in layout.sorted_docs(data.get("versions", {})):  # type: ignore[union-attr]
        if str(doc["version"] + 1) not in hidden:
            yield doc


def latest(src: Any, project: str, name: str, data: dict[str, Any] | None) -> int | None:
    """The newest live version: the last one assigned (retention never removes it)."""
    c = coll(data)
    if c is None:
        return None
    n = int(c["next"]) - 1
    if n >= 0 and get_doc(src, project, name, n, data) is not None:
        return n
    found = [d["version"] for d in iter_docs(src, project, name, data)]
    return max(found) if found else None


def count(src: Any, project: str, name: str, data: dict[str, Any] | None) -> int:
    c = coll(data)
    if c is None:
        return 0
    hidden = set(tombstones(data))
    total = sum(1 for k in data.get("versions", {}) if k not in hidden)  # type: ignore[union-attr]
    for ch in c["chunks"]:
        chunk = src.peek(layout.chunk(project, name, ch["k"])) or {}
        total += sum(1 for k in chunk.get("versions", {}) if k not in hidden)
    return total


def seal_if_full(tx: Any, project: str, name: str) -> None:
    """Move the oldest versions of a full head into sealed chunks, CHUNK at a time (chunks first, then the head),
    until it holds fewer than 2 * CHUNK - 1 (a head written by 0.1.0 may hold thousands)."""
    while _seal_one(tx, project, name):
        pass


def _seal_one(tx: Any, project: str, name: str) -> bool:
    rel = layout.head(project, name)
    data = tx.peek(rel)
    c = coll(data)
    versions = data.get("versions", {}) if data else {}
    if c is None or len(versions) < 2 * layout.CHUNK - 1:
        return False
    oldest = sorted(versions, key=int)[: layout.CHUNK]
    docs = [versions[k] for k in oldest]
    k = (c["chunks"][-1]["k"] + 1) if c["chunks"] else 0
    chunk_rel = layout.chunk(project, name, k)
    first, last = docs[0]["version"], docs[-1]["version"]
    table = tx.table(chunk_rel, "versions")
    table.insert_multiple(Document(d, doc_id=d["version"] + 1) for d in docs)
    old = {key: t for key, t in tombstones(data).items() if first + 1 <= int(key) <= last + 1 and not t.get("in_chunk")}
    if old:
        tx.table(chunk_rel, "removed").insert_multiple(Document(t, doc_id=int(key)) for key, t in old.items())
    tx.table(rel, "versions").remove(doc_ids=[int(key) for key in oldest])
    if old:
        tx.table(rel, "removed").remove(doc_ids=[int(key) for key in old])
    set_coll(tx, project, name, chunks=[*c["chunks"], {"k": k, "first": first, "last": last}])
    return True


def set_coll(tx: Any, project: str, name: str, **fields: Any) -> None:
    tx.table(layout.head(project, name), "collection").update(fields, doc_ids=[1])


def finish_removals(tx: Any, project: str, name: str) -> None:
    """Take documents with a head tombstone out of their chunks, then drop those tombstones from the head."""
    rel = layout.head(project, name)
    data = tx.peek(rel)
    c = coll(data)
    pending = _pending(data)
    if c is None or not pending:
        return
    by_chunk: dict[int, list[str]] = {}
    for key in pending:
        k = layout.find_chunk(c["chunks"], int(key) - 1)
        if k is not None:
            by_chunk.setdefault(k, []).append(key)
    stones = tombstones(data)
    for k, keys in by_chunk.items():
        chunk_rel = layout.chunk(project, name, k)
        tx.table(chunk_rel, "versions").remove(doc_ids=[int(key) for key in keys])
        tx.table(chunk_rel, "removed").insert_multiple(
            Document({f: v for f, v in stones[key].items() if f != "in_chunk"}, doc_id=int(key)) for key in keys)
    tx.table(rel, "removed").remove(doc_ids=[int(key) for key in pending])


def next_event_id(data: dict[str, Any] | None) -> int:
    table = (data or {}).get("alias_history", {})
    c = coll(data) or FRESH
    archived = c["history"].get("archived", 0)
    return max([archived, *(int(k) for k in table)]) + 1


def archive_history_if_long(tx: Any, project: str, name: str) -> None:
    """Move the oldest alias moves of a long head history into an archive file (archive first, then head)."""
    rel = layout.head(project, name)
    data = tx.peek(rel)
    c = coll(data)
    table = (data or {}).get("alias_history", {})
    if c is None or len(table) < 2 * layout.HISTORY_KEEP:
        return
    oldest = sorted(table, key=int)[: layout.HISTORY_KEEP]
    start = int(oldest[0])
    tx.table(layout.archive(project, name, start), "alias_history").insert_multiple(
        Document(table[k], doc_id=int(k)) for k in oldest)
    tx.table(rel, "alias_history").remove(doc_ids=[int(k) for k in oldest])
    set_coll(tx, project, name, history={"archives": [*c["history"]["archives"], start], "archived": int(oldest[-1])})


def history(src: Any, project: str, name: str, data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every alias move, oldest first (archives, then the head's)."""
    c = coll(data)
    if c is None:
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for start in c["history"]["archives"]:
        arch = src.peek(layout.archive(project, name, start)) or {}
        for k in sorted(arch.get("alias_history", {}), key=int):
            if k not in seen:
                seen.add(k)
                out.append(arch["alias_history"][k])
    for k in sorted(data.get("alias_history", {}), key=int):  # type: ignore[union-attr]
        if k not in seen:
            out.append(data["alias_history"][k])  # type: ignore[index]
    return out
