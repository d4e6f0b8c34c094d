"""Where the TinyDB backend keeps things, and how a collection's shards fit together.

Under the metadata root::

    registry.json                           tables: collections (one row each), gc (the generation)
    collections/<project>/<name>.json       the head: table collection (doc 1: aliases, counters, chunk list,
                                            pins), versions (the newest, doc_id = number + 1), alias_history
                                            (the newest moves), removed (tombstones)
    collections/<project>/<name>.chunks/<k>.json   sealed versions (table versions), CHUNK at a time
    collections/<project>/<name>.history/<start>.json  archived alias moves (table alias_history)
    runs/<project>/<run_id>.json            table run (doc 1); + .history.jsonl while it runs
    models/<key>.json                       tables model (doc 1), versions, history, events, deliveries
    content.idx                             "digest<TAB>version id<TAB>entry" lines (find by content)
    journal.log                             every shard a write touched, in order (the change feed)
    predictions/<project>/<name>/vN.jsonl   prediction rows

Why a head plus sealed chunks: a write rewrites whole files, so a collection in one file makes every
log slower as it grows (79 ms at 5,000 versions). The head holds fewer than ``2 * CHUNK`` versions;
when it is full the oldest ``CHUNK`` are sealed into a chunk file (written first, so a crash leaves
them in both places, never in neither), and logging one more version costs the same at 100 and at
50,000. Alias histories are archived the same way. A registry written by 0.1.0 (one file per
collection, no chunks) is read as it is: a head whose versions were never sealed.
"""

from __future__ import annotations

import re
from typing import Any, Iterable
from urllib.parse import quote

REGISTRY = "registry.json"
CONTENT = "content.idx"
CHUNK = 64  # versions per sealed chunk; the head holds CHUNK..2*CHUNK-1 once a collection is large
HISTORY_KEEP = 64  # alias moves kept in the head before the oldest are archived
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def head(project: str, name: str) -> str:
    return f"collections/{project}/{name}.json"


def chunk(project: str, name: str, k: int) -> str:
    return f"collections/{project}/{name}.chunks/{k:06d}.json"


def archive(project: str, name: str, start: int) -> str:
    return f"collections/{project}/{name}.history/{start:09d}.json"


def run(project: str, run_id: str) -> str:
    return f"runs/{project}/{run_id}.json"


def live_history(project: str, run_id: str) -> str:
    return f"runs/{project}/{run_id}.history.jsonl"


def model_key(name: str) -> str:
    """The file name of a registered model: the name itself when it is a plain name (as 0.1.0 wrote it),
    else its UTF-8 bytes percent-encoded ('My Model' -> 'My%20Model'), which no plain name can be."""
    return name if _SAFE.match(name) else quote(name, safe="")


def model(name: str) -> str:
    return f"models/{model_key(name)}.json"


def predictions(project: str, name: str, version: int) -> str:
    return f"predictions/{project}/{name}/v{version}.jsonl"


def parse_rel(rel: str) -> tuple[str, str] | None:
    """(change kind, key) of a shard path from the journal, or None for files that are not records."""
    parts = rel.split("/")
    if parts[0] == "collections" and len(parts) >= 3:
        name = parts[2]
        for suffix in (".json", ".chunks", ".history"):
            if name.endswith(suffix):
                return "collection", f"{parts[1]}/{name[: -len(suffix)]}"
        return None
    if parts[0] == "runs" and len(parts) == 3 and parts[2].endswith(".json"):
        return "run", f"{parts[1]}/{parts[2][:-5]}"
    if parts[0] == "models" and len(parts) == 2 and parts[1].endswith(".json"):
        from urllib.parse import unquote

        return "model", unquote(parts[1][:-5])
    if rel == REGISTRY:
        return "registry", ""
    return None


def normalize_registry(data: dict[str, Any]) -> dict[str, Any]:
    """registry.json as TinyDB tables. 0.1.0 keyed its rows by name (``"p/n"``, ``"gc"``), which TinyDB's
    tables cannot read; they are renumbered here, in name order, when the file is read."""
    out = dict(data)
    rows = data.get("collections", {})
    if any(not k.isdigit() for k in rows):
        out["collections"] = {str(i): rows[k] for i, k in enumerate(sorted(rows), start=1)}
    settings = data.get("settings")
    if isinstance(settings, dict) and "gc" in settings and "gc" not in data:
        out["gc"] = {"1": dict(settings["gc"])}
        out.pop("settings")
    return out


def sorted_docs(table: dict[str, Any]) -> list[dict[str, Any]]:
    """A raw TinyDB table's documents in doc_id order."""
    return [table[k] for k in sorted(table, key=int)]


def find_chunk(chunks: Iterable[dict[str, Any]], n: int) -> int | None:
    """Which sealed chunk holds version ``n`` (chunks cover increasing, disjoint ranges)."""
    for c in chunks:
        if c["first"] <= n <= c["last"]:
            return int(c["k"])
    return None


# -- what each kind of shard must hold (checked when a shard is parsed: damage is named, never a KeyError) --
_VERSION_FIELDS = {"project": str, "name": str, "version": int, "type": str, "digest": str, "manifest": str,
                   "size": int, "files": int}
_SCHEMAS: dict[str, dict[str, dict[str, type]]] = {
    "head": {"collection": {"project": str, "name": str, "type": str}, "versions": _VERSION_FIELDS,
             "alias_history": {"alias": str}},
    "chunk": {"versions": _VERSION_FIELDS},
    "archive": {"alias_history": {"alias": str}},
    "registry": {"collections": {"project": str, "name": str, "type": str}},
    "run": {"run": {"id": str, "project": str}},
    "model": {"model": {"name": str}, "versions": {"version": int, "artifact": str, "digest": str},
              "history": {"alias": str}, "events": {"id": int, "kind": str, "model": str}},
}
_MAPPINGS = {("head", "collection"): ("aliases",), ("model", "model"): ("aliases",)}


def _kind(rel: str) -> str | None:
    if rel == REGISTRY:
        return "registry"
    if rel.startswith("collections/"):
        return "chunk" if ".chunks/" in rel else "archive" if ".history/" in rel else "head"
    if rel.startswith("runs/") and rel.endswith(".json"):
        return "run"
    if rel.startswith("models/"):
        return "model"
    return None


def problem(rel: str, data: dict[str, Any]) -> str | None:
    """Why a parsed shard does not hold what its kind must (a field missing or of the wrong type), or None."""
    kind = _kind(rel)
    for table, fields in _SCHEMAS.get(kind or "", {}).items():
        for doc_id, doc in data.get(table, {}).items():
            if kind != "registry" and not str(doc_id).isdigit():
                return f"table {table!r} has a document id {doc_id!r} that is not a number"
            for field, typ in fields.items():
                value = doc.get(field)
                if not isinstance(value, typ) or isinstance(value, bool):
                    what = "is missing" if field not in doc else f"is {type(value).__name__} {value!r:.40}, not {typ.__name__}"
                    return f"document {doc_id} of table {table!r}: {field!r} {what}"
            for field in _MAPPINGS.get((kind, table), ()):  # type: ignore[arg-type]
                mapping = doc.get(field, {})
                if not isinstance(mapping, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in mapping.values()):
                    return f"document {doc_id} of table {table!r}: {field!r} is not a map of names to version numbers"
    return None
