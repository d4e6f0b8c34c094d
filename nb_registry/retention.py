"""Retention and garbage collection: keep what matters, free the bytes nothing needs.

A collection may carry a policy (``set_retention``): keep the best ``k`` versions by a metadata
metric and/or the last ``n``. Whatever the policy says, a version is always kept when it holds an
alias, is linked to a registered model, is referenced by another artifact or was used by a run.
``gc`` applies the policies, then deletes blobs no remaining version, manifest or run history needs.
Both are dry runs unless told otherwise, and blobs younger than ``GRACE_SECONDS`` are left alone
(a writer may have stored them and not yet committed the version that names them).
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import TYPE_CHECKING, Any

from . import envinfo
from .errors import InvalidSpecError
from .lineage import get_index
from .names import DEFAULT_PROJECT, Spec
from .query import get_path, is_missing
from .registry import REGISTRY_SHARD, collection_rel

if TYPE_CHECKING:
    from .registry import Registry

GRACE_SECONDS = 3600.0


def set_retention(reg: "Registry", name: str, keep_best: int | None = None, metric: str | None = None,
                  mode: str = "max", keep_last: int | None = None, project: str | None = None) -> dict[str, Any]:
    """Attach a retention policy to a collection (None for both keeps removes it)."""
    if keep_best is not None and not metric:
        raise InvalidSpecError("keep_best needs a metric, e.g. metric='metadata.val_acc'")
    if mode not in ("max", "min"):
        raise InvalidSpecError(f"mode is 'max' or 'min', not {mode!r}")
    policy = None if keep_best is None and keep_last is None else {
        "keep_best": keep_best, "metric": metric, "mode": mode, "keep_last": keep_last}
    s = Spec.parse(name, project or DEFAULT_PROJECT)
    reg._shard(s.project, s.name)
    with reg.meta.transaction():
        reg.meta.update(collection_rel(s.project, s.name), lambda d: d["collection"]["1"].__setitem__("retention", policy))
    return policy or {}


def protected_versions(reg: "Registry") -> dict[str, str]:
    """vid -> why it can never be removed (alias, registered link, dependency, used by a run)."""
    index = get_index(reg)
    users, dependents, _ = index._reverse()
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


def plan_retention(reg: "Registry") -> list[dict[str, Any]]:
    """The versions the collections' policies would remove (never a protected or latest one)."""
    protected = protected_versions(reg)
    doomed = []
    for c in reg.collections():
        data = reg.meta.raw(collection_rel(c["project"], c["name"]))
        policy = data.get("collection", {}).get("1", {}).get("retention")
        if not policy:
            continue
        versions = sorted(data.get("versions", {}).values(), key=lambda v: v["version"])
        keep = {versions[-1]["version"]} if versions else set()
        if policy.get("keep_last"):
            keep.update(v["version"] for v in versions[-policy["keep_last"]:])
        if policy.get("keep_best"):
            path = policy["metric"] if "." in policy["metric"] else f"metadata.{policy['metric']}"
            scored = [v for v in versions if not is_missing(get_path(v, path))]
            scored.sort(key=lambda v: get_path(v, path), reverse=policy["mode"] == "max")
            keep.update(v["version"] for v in scored[: policy["keep_best"]])
        for v in versions:
            vid = f"{v['project']}/{v['name']}:v{v['version']}"
            if v["version"] not in keep and vid not in protected:
                doomed.append({"artifact": vid, "size": v.get("size"), "created_at": v.get("created_at")})
    return doomed


def _delete_versions(reg: "Registry", vids: list[str]) -> None:
    by_coll: dict[str, list[int]] = {}
    for vid in vids:
        s = Spec.parse(vid)
        by_coll.setdefault(collection_rel(s.project, s.name), []).append(int(s.selector[1:]))
    with reg.meta.transaction():
        protected = protected_versions(reg)  # re-checked under the lock
        for rel, numbers in by_coll.items():
            def drop(data: dict[str, Any], numbers: list[int] = numbers) -> None:
                latest = max(int(k) for k in data["versions"]) - 1
                removed = data.setdefault("removed", {})
                for n in numbers:
                    doc = data["versions"].get(str(n + 1))
                    vid = f"{doc['project']}/{doc['name']}:v{n}" if doc else None
                    if doc is None or n == latest or vid in protected:
                        continue
                    del data["versions"][str(n + 1)]
                    removed[str(n + 1)] = {"version": n, "digest": doc["digest"], "at": envinfo.now(), "by": envinfo.user()}

            reg.meta.update(rel, drop)


def live_blobs(reg: "Registry", exclude: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """Blobs that versions (other than ``exclude``) and run histories need."""
    live: set[str] = set()
    for c in reg.collections():
        for v in reg.meta.raw(collection_rel(c["project"], c["name"])).get("versions", {}).values():
            if f"{v['project']}/{v['name']}:v{v['version']}" in exclude:
                continue
            live.add(v["manifest"])
            for e in reg.load_manifest(v["manifest"]).values():
                if "artifact" not in e and ("ref" not in e or str(e["ref"]).startswith("nbr://")):
                    live.add(e["digest"])
    for r in get_index(reg).runs.values():
        hist = r["_doc"].get("history")
        if hist:
            live.add(hist["blob"])
    return live


def _bump_generation(data: dict[str, Any]) -> None:
    gc_doc = data.setdefault("settings", {}).setdefault("gc", {"generation": 0})
    gc_doc["generation"] += 1
    gc_doc["at"] = envinfo.now()


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
    """Apply retention policies, then remove unreferenced blobs. Returns what was (or would be) removed."""
    versions = plan_retention(reg)
    if not dry_run and versions:
        _delete_versions(reg, [v["artifact"] for v in versions])
    # after a real deletion the metadata says what survives; a dry run pretends the doomed are gone
    live = live_blobs(reg, {v["artifact"] for v in versions} if dry_run else frozenset())
    garbage, size = [], 0
    for digest in reg.blobs.digests():
        if digest in live or _age(reg, digest) < grace_seconds:
            continue
        garbage.append(digest)
        size += reg.blobs.size(digest)
    partial = _stale_partials(reg, grace_seconds)
    if not dry_run and garbage:
        with reg.meta.transaction():  # writers that deduplicated against these blobs re-check under the lock
            reg.meta.update(REGISTRY_SHARD, _bump_generation)
            for digest in garbage:
                reg.blobs.delete(digest)
    if not dry_run:
        for path, _ in partial:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    return {"dry_run": dry_run, "versions": versions, "blobs": len(garbage), "bytes": size,
            "digests": garbage[:1000], "partial_files": len(partial), "partial_bytes": sum(n for _, n in partial)}


def _stale_partials(reg: "Registry", grace_seconds: float) -> list[tuple[str, int]]:
    """Temporary files left in ``blobs/tmp`` by writers that were killed mid-copy."""
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
