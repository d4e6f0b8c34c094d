"""A small filter and sort language over JSON-like records, shared by artifact and run queries.

Filters are dicts in the spirit of MongoDB (and of what MLflow's search strings can say)::

    {"metadata.val_acc": {"$gte": 0.9}, "aliases": {"$contains": "best"}}
    {"$or": [{"config.lr": {"$lt": 0.01}}, {"tags": {"$contains": "baseline"}}]}

* A key is a dotted path into the record (``config.lr``, ``summary.acc``, ``metadata.val_acc``).
* A plain value means equality. Operators: ``$eq $ne $lt $lte $gt $gte $in $nin $exists
  $contains`` (list membership or substring) and ``$regex``; ``$and``/``$or``/``$not`` combine.
  ``$in``/``$nin`` take a list, ``$exists`` true or false, ``$regex`` a pattern string.
* ``version`` (stored as a number for artifact versions) also matches ``"vN"``: ``{"version": "v3"}``.
* A path that no record has is an error that lists the paths that exist (a typo is not an empty result).

Order is a path, ``-path`` for descending, or a list of them; records missing the value sort last.
"""

from __future__ import annotations

import operator
import re
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import QueryError

_MISSING = object()

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": operator.eq,
    "$ne": operator.ne,
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$in": lambda v, arg: v in arg,
    "$nin": lambda v, arg: v not in arg,
    "$contains": lambda v, arg: arg in v if isinstance(v, (list, tuple, str, dict)) else False,
    "$regex": lambda v, arg: isinstance(v, str) and re.search(arg, v) is not None,
}


def get_path(record: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or the module's ``_MISSING`` sentinel."""
    cur: Any = record
    for part in path.split("."):
        if isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        else:
            return _MISSING
    return cur


def is_missing(value: Any) -> bool:
    return value is _MISSING


def known_paths(records: Iterable[Mapping[str, Any]], depth: int = 3) -> set[str]:
    """Every dotted path (up to ``depth`` levels) present in at least one record."""
    out: set[str] = set()

    def walk(d: Mapping[str, Any], prefix: str, level: int) -> None:
        for k, v in d.items():
            p = f"{prefix}{k}"
            out.add(p)
            if isinstance(v, Mapping) and level < depth:
                walk(v, p + ".", level + 1)

    for r in records:
        walk(r, "", 1)
    return out


def _paths_in(flt: Mapping[str, Any]) -> Iterable[str]:
    for k, v in flt.items():
        if k in ("$and", "$or"):
            for sub in v:
                yield from _paths_in(sub)
        elif k == "$not":
            yield from _paths_in(v)
        else:
            yield k


_VERSION_TAG = re.compile(r"^v(\d+)$")


def _version_arg(path: str, value: Any, arg: Any) -> Any:
    """``"v3"`` -> 3 where ``version`` is stored as a number (artifact versions), so that
    ``{"version": "v3"}`` means what it says; lists (``$in``) are converted element by element."""
    if path.rpartition(".")[2] != "version" or not isinstance(value, int) or isinstance(value, bool):
        return arg
    if isinstance(arg, str):
        m = _VERSION_TAG.match(arg)
        return int(m.group(1)) if m else arg
    if isinstance(arg, (list, tuple, set, frozenset)):
        return [_version_arg(path, value, a) for a in arg]
    return arg


def _compare(op: str, value: Any, arg: Any, path: str) -> bool:
    if op == "$exists":
        return (value is not _MISSING) == bool(arg)
    if value is _MISSING:
        return op in ("$ne", "$nin")
    arg = _version_arg(path, value, arg)
    try:
        return bool(_OPS[op](value, arg))
    except TypeError:
        return False  # e.g. comparing a string with a number: no match, not a crash
    except re.error as e:
        raise QueryError(f"bad $regex for {path!r}: {e}") from None


def _matches(record: Mapping[str, Any], flt: Mapping[str, Any]) -> bool:
    for key, cond in flt.items():
        if key == "$and":
            if not all(_matches(record, f) for f in cond):
                return False
        elif key == "$or":
            if not any(_matches(record, f) for f in cond):
                return False
        elif key == "$not":
            if _matches(record, cond):
                return False
        else:
            value = get_path(record, key)
            if isinstance(cond, Mapping) and cond and all(str(k).startswith("$") for k in cond):
                for op, arg in cond.items():
                    if not _compare(op, value, arg, key):
                        return False
            elif not _compare("$eq", value, cond, key):
                return False
    return True


def _getter(path: str) -> Callable[[Mapping[str, Any]], Any]:
    parts = path.split(".")
    if len(parts) == 1:
        key = parts[0]
        return lambda r: r[key] if key in r else _MISSING

    def get(record: Mapping[str, Any]) -> Any:
        cur: Any = record
        for part in parts:
            if isinstance(cur, Mapping) and part in cur:
                cur = cur[part]
            else:
                return _MISSING
        return cur

    return get


def _compiled_op(op: str, arg: Any, path: str) -> Callable[[Any], bool]:
    """``value -> bool`` for one operator, as :func:`_compare` decides it, with what can be read once read once."""
    if op == "$exists":
        want = bool(arg)
        return lambda v: (v is not _MISSING) == want
    fn = _OPS[op]
    missing = op in ("$ne", "$nin")
    if path.rpartition(".")[2] != "version":  # no "vN" argument to convert: the common case, kept short
        def plain(v: Any) -> bool:
            if v is _MISSING:
                return missing
            try:
                return bool(fn(v, arg))
            except TypeError:
                return False
            except re.error as e:
                raise QueryError(f"bad $regex for {path!r}: {e}") from None
        return plain
    return lambda v: _compare(op, v, arg, path)


def compile_filter(flt: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate equivalent to matching ``flt`` (see the module docstring), with its paths and operators
    read once: filtering 50,000 records costs a closure call each."""
    tests: list[Callable[[Mapping[str, Any]], bool]] = []
    for key, cond in flt.items():
        if key == "$and":
            subs = [compile_filter(f) for f in cond]
            tests.append(lambda r, subs=subs: all(t(r) for t in subs))
        elif key == "$or":
            subs = [compile_filter(f) for f in cond]
            tests.append(lambda r, subs=subs: any(t(r) for t in subs))
        elif key == "$not":
            sub = compile_filter(cond)
            tests.append(lambda r, sub=sub: not sub(r))
        else:
            get = _getter(key)
            if isinstance(cond, Mapping) and cond and all(str(k).startswith("$") for k in cond):
                ops = list(cond.items())
            else:
                ops = [("$eq", cond)]
            checks = [_compiled_op(op, arg, key) for op, arg in ops]

            def test(r: Mapping[str, Any], get: Any = get, checks: Any = checks) -> bool:
                value = get(r)
                for check in checks:
                    if not check(value):
                        return False
                return True

            tests.append(test)
    if len(tests) == 1:
        return tests[0]
    return lambda r: all(t(r) for t in tests)


def _validate(flt: Any, known: set[str] | None) -> None:
    if not isinstance(flt, Mapping):
        raise QueryError(f"a filter is a dict of path -> condition, not {type(flt).__name__}")
    for key, cond in flt.items():
        if key in ("$and", "$or"):
            if not isinstance(cond, (list, tuple)):
                raise QueryError(f"{key} takes a list of filters")
            for sub in cond:
                _validate(sub, known)
        elif key == "$not":
            _validate(cond, known)
        elif key.startswith("$"):
            raise QueryError(f"unknown combinator {key!r}; use $and, $or or $not")
        elif isinstance(cond, Mapping) and any(str(k).startswith("$") for k in cond):
            bad = [op for op in cond if op not in _OPS and op != "$exists"]
            if bad:
                raise QueryError(f"unknown operator {bad[0]!r} for {key!r}; known: {', '.join(sorted([*_OPS, '$exists']))}")
            for op, arg in cond.items():
                _check_argument(key, op, arg)
    if known is not None:
        unknown = [p for p in _paths_in(flt) if p not in known]
        if unknown:
            raise QueryError(f"unknown field {unknown[0]!r} in filter; fields that exist: {', '.join(sorted(known)) or '(none)'}")


def _check_argument(path: str, op: str, arg: Any) -> None:
    """Operators whose argument has a required type: a wrong one is an error, not a silent no-match."""
    if op in ("$in", "$nin") and not isinstance(arg, (list, tuple, set, frozenset)):
        raise QueryError(f"{op} for {path!r} takes a list of values, e.g. {{{op!r}: [{arg!r}]}}, not {type(arg).__name__} {arg!r}")
    if op == "$exists" and not isinstance(arg, bool):
        raise QueryError(f"$exists for {path!r} takes true or false, not {type(arg).__name__} {arg!r}")
    if op == "$regex":
        if not isinstance(arg, str):
            raise QueryError(f"$regex for {path!r} takes a pattern string, not {type(arg).__name__} {arg!r}")
        try:
            re.compile(arg)
        except re.error as e:
            raise QueryError(f"bad $regex for {path!r}: {e}") from None


def _check_paths(records: list[dict[str, Any]], paths: Iterable[str], sort: bool = False) -> None:
    """Each path must be present in at least one record (a typo is an error, not an empty result).

    Usually the first records have them all, so this costs little; only a miss walks every record,
    to list the fields that do exist."""
    for path in dict.fromkeys(paths):
        if not any(get_path(r, path) is not _MISSING for r in records):
            known = known_paths(records, depth=32)
            where = f"unknown sort field {path!r}" if sort else f"unknown field {path!r} in filter"
            raise QueryError(f"{where}; fields that exist: {', '.join(sorted(known)) or '(none)'}")


def _order_keys(order: str | Sequence[str] | None) -> list[str]:
    if not order:
        return []
    return [order] if isinstance(order, str) else list(order)


def sort_records(records: list[dict[str, Any]], order: str | Sequence[str] | None, known: set[str] | None = None) -> list[dict[str, Any]]:
    """Sort by one or more paths (``-path`` descending), missing values last."""
    keys = _order_keys(order)
    for key in reversed(keys):
        desc = key.startswith("-")
        path = key.lstrip("+-")
        if known is not None and records and path not in known:
            raise QueryError(f"unknown sort field {path!r}; fields that exist: {', '.join(sorted(known))}")
        present = [r for r in records if get_path(r, path) is not _MISSING]
        absent = [r for r in records if get_path(r, path) is _MISSING]
        try:
            present.sort(key=lambda r: get_path(r, path), reverse=desc)
        except TypeError:
            present.sort(key=lambda r: str(get_path(r, path)), reverse=desc)
        records = present + absent
    return records


def paths_of(filters: Mapping[str, Any] | None, order: str | Sequence[str] | None) -> set[str]:
    """The top-level fields a filter and an order read (so a caller can skip computing the others)."""
    out = {p.split(".")[0] for p in _paths_in(filters or {})}
    return out | {k.lstrip("+-").split(".")[0] for k in _order_keys(order)}


def query(records: Iterable[dict[str, Any]], filters: Mapping[str, Any] | None = None,
          order: str | Sequence[str] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Filter, sort and cut ``records``; unknown fields and operators raise :class:`QueryError`."""
    rows = list(records)
    if filters:
        _validate(filters, None)
        if rows:
            _check_paths(rows, _paths_in(filters))
    keys = _order_keys(order)
    if keys and rows:
        _check_paths(rows, [k.lstrip("+-") for k in keys], sort=True)
    if filters:
        keep = compile_filter(filters)
        rows = [r for r in rows if keep(r)]
    rows = sort_records(rows, keys)
    return rows[:limit] if limit is not None else rows
