"""Lineage: which runs and artifact versions made a version, and what was made from it.

The graph is data first: :func:`lineage` returns ``{"nodes": [...], "edges": [...]}``, plain JSON
that the notebook widget, the lab extension and ``nb-registry lineage --json`` all render.
Edges point the way things flow: ``used`` (artifact -> run), ``produced`` (run -> artifact),
``depends-on`` (sub-model -> ensemble, data -> model built from it).

Queries run on an in-memory index of every version and run. It is built once per process and then
kept current from the metadata journal: a query re-reads only the shards written since the last
one, so a 5-level query on 10,000 versions and 2,000 runs is a walk over dicts.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any, Iterable, Protocol

from .errors import InvalidSpecError, NotFoundError
from .names import DEFAULT_PROJECT, Spec
from .runstate import effective_state
from .store.interface import MetadataStore
from .store.records import Change, Version


class Source(Protocol):
    """What a lineage query needs of the registry."""

    meta: MetadataStore
    lineage_index: "LineageIndex"

    def artifact(self, spec: Any, project: str | None = None, type: str | None = None) -> Any: ...


def _artifact_node(vid: str) -> str:
    return f"artifact:{vid}"


def _run_node(path: str) -> str:
    return f"run:{path}"


class LineageIndex:
    """Every version (with its producer and dependencies) and every run (with its inputs), kept current
    from the store's change feed: a refresh re-reads only the collections, runs and models that changed."""

    def __init__(self, meta: MetadataStore) -> None:
        self._meta = meta
        self._lock = threading.Lock()
        self._cursor: Any = None
        self._loaded = False
        self.versions: dict[str, dict[str, Any]] = {}  # vid -> node data
        self.runs: dict[str, dict[str, Any]] = {}  # run path -> node data
        self._by_collection: dict[str, set[str]] = defaultdict(set)
        self.links: dict[str, list[str]] = defaultdict(list)  # vid -> ["model-registry/name:vN (aliases)"]
        self._by_model: dict[str, list[str]] = {}
        self._rev: Any = None  # reverse edges, rebuilt after any change

    # -- loading ---------------------------------------------------------------------------
    def refresh(self) -> "LineageIndex":
        with self._lock:
            changes, self._cursor = self._meta.changes_since(self._cursor)
            for change in changes:
                self._load(change)
            self._loaded = True
        return self

    def _load(self, change: Change) -> None:
        self._rev = None
        if change.kind == "collection":
            self._load_collection(change.key)
        elif change.kind == "run":
            self._load_run(change.key)
        elif change.kind == "model":
            self._load_links(change.key)

    def _load_collection(self, key: str) -> None:
        for vid in self._by_collection.pop(key, set()):
            self.versions.pop(vid, None)
        project, name = key.split("/", 1)
        try:
            versions: list[Version] = self._meta.versions(project, name)
        except NotFoundError:
            return
        for v in versions:
            self.versions[v.id] = {"id": _artifact_node(v.id), "kind": "artifact", "artifact": v.id, "type": v.type,
                                   "project": v.project, "name": v.name, "version": f"v{v.version}",
                                   "aliases": list(v.aliases), "digest": v.digest, "size": v.size,
                                   "created_at": v.created_at, "run": v.run, "deps": list(v.deps)}
            self._by_collection[key].add(v.id)

    def _load_run(self, path: str) -> None:
        project, run_id = path.split("/", 1)
        try:
            r = self._meta.get_run(project, run_id)
        except NotFoundError:
            self.runs.pop(path, None)
            return
        doc = r.to_doc()
        self.runs[path] = {"id": _run_node(path), "kind": "run", "run": path, "name": r.name, "job_type": r.job_type,
                           "project": r.project, "_doc": doc, "inputs": list(r.inputs), "outputs": list(r.outputs)}

    def _load_links(self, model: str) -> None:
        for vid in self._by_model.pop(model, []):
            self.links[vid] = [x for x in self.links[vid] if not x.startswith(f"model-registry/{model}:")]
        try:
            record = self._meta.get_model(model)
            linked = self._meta.model_versions(model)
        except NotFoundError:
            return
        touched = []
        for v in linked:
            aliases = sorted(a for a, n in record.aliases.items() if n == v.version)
            label = f"model-registry/{model}:v{v.version}" + (f" ({', '.join(aliases)})" if aliases else "")
            self.links[v.artifact].append(label)
            touched.append(v.artifact)
        self._by_model[model] = touched

    # -- edges -----------------------------------------------------------------------------
    def reverse(self) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
        """(runs that used each version, versions that depend on each, versions each run produced)."""
        if self._rev is None:
            self._rev = self._build_reverse()
        return self._rev  # type: ignore[no-any-return]

    def _build_reverse(self) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
        users: dict[str, list[str]] = defaultdict(list)
        dependents: dict[str, list[str]] = defaultdict(list)
        outputs: dict[str, list[str]] = defaultdict(list)
        for path, r in self.runs.items():
            for vid in r["inputs"]:
                users[vid].append(path)
        for vid, v in self.versions.items():
            for dep in v["deps"]:
                dependents[dep].append(vid)
            if v["run"]:
                outputs[self.run_path(v)].append(vid)  # type: ignore[index]
        return users, dependents, outputs

    def run_path(self, v: dict[str, Any]) -> str | None:
        run = v.get("run")
        if not run:
            return None
        return run if "/" in run else f"{v['project']}/{run}"

    def users_of(self, vid: str) -> list[str]:
        return list(self.reverse()[0].get(vid, []))


def get_index(reg: Source) -> LineageIndex:
    """The registry's lineage index, refreshed."""
    return reg.lineage_index.refresh()


def _node(index: LineageIndex, key: str) -> dict[str, Any]:
    if key in index.versions:
        v = index.versions[key]
        node = {k: v[k] for k in ("id", "kind", "artifact", "type", "project", "name", "version", "aliases", "digest", "size", "created_at")}
        node["label"] = f"{v['name']}:{v['version']}" + (f" ({', '.join(a for a in v['aliases'])})" if v["aliases"] else "")
        node["registered"] = list(index.links.get(key, []))
        return node
    r = index.runs[key]
    doc = r["_doc"]
    return {"id": r["id"], "kind": "run", "run": key, "name": r["name"], "job_type": r["job_type"], "project": r["project"],
            "state": effective_state(doc), "label": f"{r['name']} ({r['job_type'] or 'run'})",
            "git": (doc.get("git") or {}).get("commit"), "config": doc.get("config", {}), "summary": doc.get("summary", {})}


def lineage(reg: Source, spec: str, direction: str = "up", depth: int | None = None,
            project: str | None = None) -> dict[str, Any]:
    """The lineage graph around an artifact version (``spec``) or a run (``run:project/id``).

    ``direction``: ``up`` (what made it), ``down`` (what was made from it) or ``both``;
    ``depth``: how many hops (a run and its output are one hop apart), None for all.
    """
    if direction not in ("up", "down", "both"):
        raise InvalidSpecError(f"direction must be 'up', 'down' or 'both', not {direction!r}")
    # resolve first, then refresh: whatever the resolve saw is in the journal the refresh reads
    if spec.startswith("run:"):
        start = run_path(reg.meta, spec[4:])
    else:
        start = reg.artifact(Spec.parse(spec, project or DEFAULT_PROJECT)).id
    index = get_index(reg)
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str, str], dict[str, str]] = {}

    def up(key: str) -> Iterable[tuple[str, str, str, str]]:  # (neighbour, source, target, kind)
        if key in index.versions:
            v = index.versions[key]
            rp = index.run_path(v)
            if rp and rp in index.runs:
                yield rp, rp, key, "produced"
            for dep in v["deps"]:
                if dep in index.versions:
                    yield dep, dep, key, "depends-on"
        elif key in index.runs:
            for vid in index.runs[key]["inputs"]:
                if vid in index.versions:
                    yield vid, vid, key, "used"

    def down(key: str) -> Iterable[tuple[str, str, str, str]]:
        users, dependents, outputs = index.reverse()
        if key in index.versions:
            for rp in users.get(key, []):
                yield rp, key, rp, "used"
            for vid in dependents.get(key, []):
                yield vid, key, vid, "depends-on"
        elif key in index.runs:
            for vid in outputs.get(key, []):
                yield vid, key, vid, "produced"

    walks = [up] if direction == "up" else [down] if direction == "down" else [up, down]
    for walk in walks:
        frontier, seen, level = [start], {start}, 0
        while frontier and (depth is None or level < depth):
            nxt = []
            for key in frontier:
                for other, src, dst, kind in walk(key):
                    edges[(src, dst, kind)] = {"source": _id(index, src), "target": _id(index, dst), "kind": kind}
                    if other not in seen:
                        seen.add(other)
                        nxt.append(other)
            frontier, level = nxt, level + 1
        for key in seen:
            nodes[key] = _node(index, key)
    return {"root": _id(index, start), "direction": direction, "depth": depth,
            "nodes": list(nodes.values()), "edges": list(edges.values())}


def run_path(meta: MetadataStore, path: str) -> str:
    """``project/id`` of a run given as that or as ``id`` alone (searched in every project)."""
    project, _, run_id = path.rpartition("/")
    found = [meta.get_run(project, run_id)] if project else meta.find_runs(run_id)
    if not found:
        raise NotFoundError(f"no run {path!r}")
    return found[0].path


def _id(index: LineageIndex, key: str) -> str:
    return index.versions[key]["id"] if key in index.versions else _run_node(key)
