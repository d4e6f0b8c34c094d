"""Text for the ``nb-registry`` CLI: tables, key/value lists, sizes, times, lineage trees, and the argument types
(``KEY=VALUE``, ``FIELD OP VALUE`` filters, counts). Pure functions, no registry access."""

from __future__ import annotations

import argparse
import json
from typing import Any, Callable, Sequence

def _size(n: int | None) -> str:
    if n is None:
        return "?"
    size, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            break
        size /= 1024
    return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"


def _when(text: str) -> str:
    """A stored ISO time as the local time, to the second (the JSON output keeps the stored value)."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def _version(n: Any) -> Any:
    """A registered model's version number as everything else shows it: ``v0``."""
    return f"v{n}" if isinstance(n, int) and not isinstance(n, bool) else n


def _cell(v: Any, column: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, str) and (column == "at" or column.endswith("_at")):
        return _when(v)
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v)) or "-"
    if isinstance(v, dict):  # metadata, config: key=value, as they are given on the command line
        return ",".join(f"{k}={json.dumps(x, separators=(',', ':'), default=str) if isinstance(x, (dict, list)) else _cell(x)}"
                        for k, x in v.items()) or "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, empty: str = "(none)") -> str:
    if not rows:
        return empty
    cols = list(columns or dict.fromkeys(k for r in rows for k in r))
    cells = [[_cell(r.get(c), c)[:60] for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(cols, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _kv(pairs: Sequence[tuple[str, Any]]) -> str:
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{k.ljust(width)}  {_cell(v, k)}" for k, v in pairs)


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _key_value(text: str) -> tuple[str, Any]:
    key, eq, value = text.partition("=")
    if not eq or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, _json_value(value)


_FILTER_OPS = [(">=", "$gte"), ("<=", "$lte"), ("!=", "$ne"), ("==", "$eq"), ("=", "$eq"), ("<", "$lt"),
               (">", "$gt"), ("~", "$contains")]


def _filter_expr(text: str) -> tuple[str, str, Any]:
    """``config.lr<0.01`` -> (``config.lr``, ``$lt``, 0.01): one condition of the query language."""
    hits = [(text.find(sym), -len(sym), sym, op) for sym, op in _FILTER_OPS if text.find(sym) > 0]
    if not hits:
        raise argparse.ArgumentTypeError(
            f"bad filter {text!r}; expected FIELD OP VALUE with OP one of = != < <= > >= ~ (e.g. summary.acc>=0.9)")
    pos, _, sym, op = min(hits)
    return text[:pos].strip(), op, _json_value(text[pos + len(sym):].strip())


def _count(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = None
        if n is None or n < least:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {text!r}")
        return n

    parse.__name__ = "count"
    return parse



def _tree(graph: dict[str, Any], root: str, direction: str) -> str:
    nodes = {n["id"]: n for n in graph["nodes"]}
    near: dict[str, list[tuple[str, str]]] = {}
    for e in graph["edges"]:
        a, b = (e["target"], e["source"]) if direction == "up" else (e["source"], e["target"])
        near.setdefault(a, []).append((e.get("kind") or e.get("type") or "", b))
    lines: list[str] = []

    def label(nid: str) -> str:
        n = nodes.get(nid, {})
        extra = [n.get("type") or n.get("state"), ",".join(n.get("registered") or [])]
        return f"{n.get('kind', '?')} {n.get('label') or nid}" + "".join(f" [{x}]" for x in extra if x)

    shown: set[str] = set()  # a node reached twice is expanded once: no repeated subtrees, no cycles

    def walk(nid: str, depth: int, kind: str) -> None:
        again = nid in shown and bool(near.get(nid))
        lines.append("  " * depth + (f"<{kind}> " if kind else "") + label(nid) + (" (see above)" if again else ""))
        shown.add(nid)
        for k, nxt in ([] if again else near.get(nid, [])):
            walk(nxt, depth + 1, k)

    walk(root, 0, "")
    return "\n".join(lines)
