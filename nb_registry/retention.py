"""Retention and garbage collection: keep what matters, free the bytes nothing needs.

A collection may carry a policy (``set_retention``): keep the best ``k`` versions by a metadata
metric and/or the last ``n``. Whatever the policy says, a version is always kept when it holds an
alias, is linked to a registered model, is referenced by another artifact or was used by a run.
``gc`` applies the policies, then deletes blobs no remaining version (its manifest, files and code)
or run history needs.
Both are dry runs unless told otherwise, and blobs younger than ``GRACE_SECONDS`` are left alone
(a writer may have stored them and not yet committed the version that names them).

Packs (many small files in one blob, :mod:`nb_registry.store.packs`): a pack none of whose files is
needed is removed; one whose dead bytes pass ``REPACK_DEAD_SHARE`` of it is repacked (its live
files written to a new pack, then the old one removed); packs younger than the grace period are left
alone, and so is a pack file without an index (a writer killed mid-pack) until it is that old. Both
happen inside the metadata store's ``collect`` section with the live set read again there, so a log
that deduplicated against a file of a pack being repacked either committed before (its files are
live, so kept) or fails its commit with ``StaleGeneration`` and stores them again: the same
generation rule as for loose blobs.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import TYPE_CHECKING, Any

from . import envinfo
from .errors import InvalidSpecError, QueryError
from .lineage import get_index
from .names import DEFAULT_PROJECT, Spec
from .query import get_path, is_missing, known_paths

if TYPE_CHECKING:
    from .registry import Registry

GRACE_SECONDS = 3600.0
REPACK_DEAD_SHARE = 0.3  # repack a pack once this share of its bytes is dead (rewriting it costs its live bytes)


def _metric_path(metric: str) -> str:
    """``val_acc`` -> ``metadata.val_acc``; a dotted path is taken as it is."""
    return metric if "." in metric else f"metadata.{metric}"


def _is_number(value: Any) -> bool:
    """Whether ``value`` can be ranked: a real number (not a bool, not NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _count(value: Any, what: str, least: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InvalidSpecError(f"{what} is a whole number >= {least}, not {value!r}"
                               + (" (0 would keep no best version; leave it out instead)" if what == "keep_best" else ""))
    return value


def set_retention(reg: "Registry", name: str, keep_best: int | None = None, metric: str | None = None,
                  mode: str = "max", keep_last: int | None = None, project: str | None = None) -> dict[str, Any]:
    """Attach a retention policy to a collection (None for both keeps removes it).

    ``keep_best`` (>= 1) needs a ``metric`` that at least one version holds as a number; ``keep_last``
    may be 0 (keep only the latest version, besides the protected ones)."""
    keep_best = _count(keep_best, "keep_best", 1)
    keep_last = _count(keep_last, "keep_last", 0)
    if keep_best is not None and not metric:
        raise InvalidSpecError("keep_best needs a metric, e.g. metric='metadata.val_acc'")
    if metric is not None and keep_best is None:
        raise InvalidSpecError("a metric is only used with keep_best (keep the K best versions by it)")
    if mode not in ("max", "min"):
        raise InvalidSpecError(f"mode is 'max' or 'min', not {mode!r}")
    policy = None if keep_best is None and keep_last is None else {
        "keep_best": keep_best, "metric": metric, "mode": mode, "keep_last": keep_last}
    s = Spec.parse(name, project or DEFAULT_PROJECT)
    reg.meta.collection(s.project, s.name)  # NotFoundError naming the collections there are
    if metric is not None:
        if not isinstance(metric, str) or not metric.strip(".") or metric != metric.strip():
            raise InvalidSpecError(f"bad metric {metric!r}; expected a metadata path such as 'metadata.val_acc'")
        _check_metric(s, [v.to_doc() for v in reg.meta.versions(s.project, s.name)], _metric_path(metric))
    reg.meta.set_retention(s.project, s.name, policy)
    return policy or {}


def _check_metric(s: Spec, versions: list[dict[str, Any]], path: str) -> None:
    """Refuse a metric no version holds (a typo), listing the metadata fields that exist."""
    values = [get_path(v, path) for v in versions]
    if all(is_missing(x) for x in values):
        fields = sorted(p for p in known_paths(versions, depth=32) if p.startswith("metadata."))
        raise QueryError(f"no version of {s.project}/{s.name} has {path!r}; metadata fields that exist: "
                         f"{', '.join(fields) or '(none)'}")
    if not any(_is_number(x) for x in values):
        kinds = sorted({type(x).__name__ for x in values if not is_missing(x)})
        raise InvalidSpecError(f"{path!r} is not a number in any version of {s.project}/{s.name} "
                               f"(it holds {', '.join(kinds)}); keep_best ranks numbers")


def protected_versions(reg: "Registry") -> dict[str, str]:
    """vid -> why it can never be removed (alias, registered link, dependency, used by a run)."""
    index = get_index(reg)
    users, dependents, _ = index.reverse()
    why: dict[str, str] = {}
    for vid, v in index.versions.items():
        aliases = [a for a in v["aliases"] if a != "latest"]
        if aliases:
            why[vid] = f"holds alias {aliases[0]!r}"
        elif index.links.get(vid):
            why[vid] = f"linked as {index.links[vid][0]}"
        elif dependents.get(vid):
            why[vid] = f"referenced by {dependents[vid][0]}"
        elif users.get(vid):
            why[vid] = f"used by run {users[vid][0]}"
    return why


def plan_retention(reg: "Registry", unranked: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The versions the collections' policies would remove (never a protected or latest one).

    A version whose metric is missing or not a number (a string among numbers, NaN) is not ranked:
    it never counts as one of the best, and is appended to ``unranked`` (when given) with the reason.
    One collection's odd values never stop gc for the others."""
    protected = protected_versions(reg)
    doomed = []
    for c in reg.meta.collections():
        policy = reg.meta.collection(c.project, c.name).retention
        if not policy:
            continue
        versions = [v.to_doc() for v in reg.meta.versions(c.project, c.name)]
        keep = {versions[-1]["version"]} if versions else set()
        keep_last = policy.get("keep_last")
        if isinstance(keep_last, int) and keep_last > 0:
            keep.update(v["version"] for v in versions[-keep_last:])
        keep_best = policy.get("keep_best")
        if isinstance(keep_best, int) and keep_best > 0 and policy.get("metric"):
            path = _metric_path(policy["metric"])
            scored = []
            for v in versions:
                value = get_path(v, path)
                if _is_number(value):
                    scored.append((value, v))
                elif unranked is not None:
                    why = "has no value" if is_missing(value) else f"is {value!r}, not a number"
                    unranked.append({"artifact": f"{v['project']}/{v['name']}:v{v['version']}",
                                     "reason": f"{path} {why}; not ranked among the best"})
            scored.sort(key=lambda sv: sv[0], reverse=policy.get("mode", "max") == "max")
            keep.update(v["version"] for _, v in scored[:keep_best])
        for v in versions:
            vid = f"{v['project']}/{v['name']}:v{v['version']}"
            if v["version"] not in keep and vid not in protected:
                doomed.append({"artifact": vid, "size": v.get("size"), "created_at": v.get("created_at")})
    return doomed


def _delete_versions(reg: "Registry", vids: list[str]) -> list[dict[str, Any]]:
    """Remove versions; the store checks again, in the same step, that nothing protects each one."""
    return [{"artifact": r.id, "reason": r.reason} for r in reg.meta.delete_versions(vids, by=envinfo.user()) if not r.removed]


# Fields of a version document and of a run document that name a blob (besides manifest entries).
VERSION_BLOB_FIELDS = ("manifest", "code")


def _blob_ref(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) == 64 else None


def live_blobs(reg: "Registry", exclude: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """Blobs that versions (other than ``exclude``) and runs need: each version's manifest, the files
    it lists, the source of the step that made it (``code``), and each run's metric history."""
    live: set[str] = set()
    for c in reg.meta.collections():
        for record in reg.meta.versions(c.project, c.name):
            if record.id in exclude:
                continue
            v = record.to_doc()
            live.update(d for d in (_blob_ref(v.get(k)) for k in VERSION_BLOB_FIELDS) if d)
            live.update(reg.manifests.objects(v["manifest"]))  # a tree manifest: its nodes too
            for e in reg.load_manifest(v["manifest"]).values():
                if "artifact" not in e and ("ref" not in e or str(e["ref"]).startswith("nbr://")):
                    live.add(e["digest"])
    for doc in (r.to_doc() for r in reg.meta.runs()):  # read from the store itself: gc deletes, so no cached view
        hist = doc.get("history")
        if isinstance(hist, dict) and _blob_ref(hist.get("blob")):
            live.add(hist["blob"])
        code = doc.get("code")  # a run's code is its source text today; a blob if it ever names one
        if isinstance(code, dict) and _blob_ref(code.get("blob")):
            live.add(code["blob"])
    return live


def _age(reg: "Registry", digest: str) -> float:
    try:
        if reg.blobs.is_local:
            return time.time() - os.stat(reg.blobs.path(digest)).st_mtime
        info = reg.blobs.fs.info(reg.blobs.path(digest))
        modified = info.get("LastModified") or info.get("mtime") or info.get("created")
        return time.time() - (modified.timestamp() if hasattr(modified, "timestamp") else float(modified or 0))
    except (OSError, ValueError, TypeError):
        return 0.0


def gc(reg: "Registry", dry_run: bool = True, grace_seconds: float = GRACE_SECONDS) -> dict[str, Any]:
    """Apply retention policies, then remove unreferenced blobs and repack packs that are mostly dead.
    Returns what was (or would be) removed."""
    unranked: list[dict[str, Any]] = []
    versions = plan_retention(reg, unranked)
    kept: list[dict[str, Any]] = []
    if not dry_run and versions:
        kept = _delete_versions(reg, [v["artifact"] for v in versions])
        gone = {v["artifact"] for v in kept}
        versions = [v for v in versions if v["artifact"] not in gone]
    # after a real deletion the store says what survives; a dry run pretends the doomed are gone
    live = live_blobs(reg, {v["artifact"] for v in versions} if dry_run else frozenset())
    candidates = [d for d in reg.blobs.loose_digests() if d not in live and _age(reg, d) >= grace_seconds]
    partial = _stale_partials(reg, grace_seconds)
    sizes = {d: _size(reg, d) for d in candidates}
    packs = plan_packs(reg, live, grace_seconds)
    if dry_run or not (candidates or packs["plan"] or packs["orphans"]):
        garbage, done = candidates, packs["plan"]
    else:
        done = []
        keep: set[str] = set()  # what is live inside the collection section (filled there)
        plans = {p["pack"]: p for p in packs["plan"]}

        def find_garbage() -> list[str]:
            # No version passing the old generation can be committed now, so what is live stays live until
            # we are done: a version logged since the scan above may have deduplicated against a candidate.
            live_now = live_blobs(reg, frozenset())
            keep.update(live_now)
            again = {p["pack"] for p in plan_packs(reg, live_now, grace_seconds)["plan"]}
            return [d for d in candidates if d not in live_now] + [f"pack:{p}" for p in sorted(again)]

        def delete(unit: str) -> None:
            if unit.startswith("pack:"):
                pack = unit[5:]
                reg.blobs.packs.repack(pack, keep, fsync=True)
                plan = plans.get(pack)
                if plan is not None:
                    done.append(plan)
            else:
                reg.blobs.delete(unit)

        garbage = [u for u in reg.meta.collect(find_garbage, delete) if not u.startswith("pack:")]
        for pack in packs["orphans"]:
            reg.blobs.packs.remove_file(pack)
    size = sum(sizes.get(d, 0) for d in garbage)
    if not dry_run:
        for path, _ in partial:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    dead_files = sum(p["dead_files"] for p in done)
    return {"dry_run": dry_run, "versions": versions, "blobs": len(garbage) + dead_files,
            "bytes": size + sum(p["dead_bytes"] for p in done), "digests": garbage[:1000],
            "packs": {"removed": sum(1 for p in done if p["action"] == "remove"),
                      "repacked": sum(1 for p in done if p["action"] == "repack"),
                      "unfinished": len(packs["orphans"]), "plan": done[:1000]},
            "partial_files": len(partial), "partial_bytes": sum(n for _, n in partial),
            "unranked": unranked, "kept": kept}


def plan_packs(reg: "Registry", live: set[str], grace_seconds: float,
               threshold: float = REPACK_DEAD_SHARE) -> dict[str, Any]:
    """Packs to remove (no live file) or repack (dead share past ``threshold``), older than the grace period;
    and pack files without an index that old (``orphans``)."""
    reg.blobs.packs.refresh()
    plan = []
    for pack, rows in sorted(reg.blobs.packs.rows().items()):
        total = sum(n for _, _, n in rows) or 1
        dead = [(d, n) for d, _, n in rows if d not in live]
        dead_bytes = sum(n for _, n in dead)
        if not dead or dead_bytes / total < threshold or reg.blobs.packs.age(pack, "idx") < grace_seconds:
            continue
        plan.append({"pack": pack, "files": len(rows), "dead_files": len(dead), "dead_bytes": dead_bytes,
                     "action": "remove" if len(dead) == len(rows) else "repack"})
    indexed, files = reg.blobs.packs.listing()
    orphans = [p for p in sorted(files - indexed) if reg.blobs.packs.age(p) >= grace_seconds]
    return {"plan": plan, "orphans": orphans}


def _size(reg: "Registry", digest: str) -> int:
    try:
        return reg.blobs.size(digest)
    except LookupError:
        return 0  # removed meanwhile


PARTIAL_GRACE = 3600.0  # a temporary blob file younger than this may belong to a writer still copying


def _stale_partials(reg: "Registry", grace_seconds: float) -> list[tuple[str, int]]:
    """Temporary files left in ``blobs/tmp`` by writers that were killed mid-copy: never one younger than
    PARTIAL_GRACE, whatever ``grace_seconds`` says (a writer copying a large file writes it for a while)."""
    grace_seconds = max(grace_seconds, PARTIAL_GRACE)
    if not reg.blobs.is_local:
        return []  # object stores have no partial uploads to clean (a PUT is all or nothing)
    folder = os.path.join(reg.blobs.root, "tmp")
    out = []
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        path = os.path.join(folder, name)
        with contextlib.suppress(FileNotFoundError):
            st = os.stat(path)
            if time.time() - st.st_mtime >= grace_seconds:
                out.append((path, st.st_size))
    return out
