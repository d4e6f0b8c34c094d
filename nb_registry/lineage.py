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
from typing import TYPE_CHECKING, Any, Iterable

from .errors import InvalidSpecError
from .names import DEFAULT_PROJECT, Spec
from .runs import effective_state

if TYPE_CHECKING:
    from .registry import Registry

_RECENT = 64  # shards re-checked on every refresh, in case a reader raced a writer


def _artifact_node(vid: str) -> str:
    return f"artifact:{vid}"


def _run_node(path: str) -> str:
    return f"run:{path}"


class LineageIndex:
    """Every version (with its producer and dependencies) and every run (with its inputs)."""

    def __init__(self, reg: "Registry") -> None:
        self._reg = reg
        self._lock = threading.Lock()
        self._offset = 0
        self._loaded = False
        self._tokens: dict[str, Any] = {}
        self._recent: list[str] = []
        self.versions: dict[str, dict[str, Any]] = {}  # vid -> node data
        self.runs: dict[str, dict[str, Any]] = {}  # run path -> node data
        self._by_shard: dict[str, set[str]] = defaultdict(set)
        self.links: dict[str, list[str]] = defaultdict(list)  # vid -> ["model-registry/name:vN (aliases)"]
        self._link_shards: dict[str, list[str]] = {}
        self._rev: Any = None  # reverse edges, rebuilt after any change

    # -- loading ---------------------------------------------------------------------------
    def refresh(self) -> "LineageIndex":
        with self._lock:
            meta = self._reg.meta
            if not self._loaded:
                _, self._offset = meta.journal_since(0)
                shards = [f"collections/{p}/{f}" for p in meta.listdir("collections") for f in meta.listdir(f"collections/{p}")]
                shards += [f"runs/{p}/{f}" for p in meta.listdir("runs") for f in meta.listdir(f"runs/{p}")]
                shards += [f"models/{f}" for f in meta.listdir("models")]
                for rel in shards:
                    self._load(rel)
                self._loaded = True
                return self
            lines, self._offset = meta.journal_since(self._offset)
            changed = set(lines)
            changed.update(rel for rel in self._recent if meta.files.token(rel) != self._tokens.get(rel))
            for rel in changed:
                self._load(rel)
            self._recent = (self._recent + [r for r in lines if r not in self._recent])[-_RECENT:]
        return self

    def _load(self, rel: str) -> None:
        if not rel.endswith(".json"):
            return
        self._rev = None
        self._tokens[rel] = self._reg.meta.files.token(rel)
        data = self._reg.meta.raw(rel)
        for key in self._by_shard.pop(rel, set()):
            self.versions.pop(key, None)
            self.runs.pop(key, None)
        if rel.startswith("collections/"):
            coll = data.get("collection", {}).get("1", {})
            versions = data.get("versions", {})
            latest = max((int(k) for k in versions), default=0) - 1
            for v in versions.values():
                vid = f"{v['project']}/{v['name']}:v{v['version']}"
                aliases = sorted(a for a, n in coll.get("aliases", {}).items() if n == v["version"])
                if v["version"] == latest:
                    aliases.insert(0, "latest")
                self.versions[vid] = {"id": _artifact_node(vid), "kind": "artifact", "artifact": vid, "type": v["type"],
                                      "project": v["project"], "name": v["name"], "version": f"v{v['version']}",
                                      "aliases": aliases, "digest": v["digest"], "size": v.get("size"),
                                      "created_at": v.get("created_at"), "run": v.get("run"), "deps": v.get("deps", [])}
                self._by_shard[rel].add(vid)
        elif rel.startswith("runs/"):
            r = data.get("run", {}).get("1")
            if r:
                path = f"{r['project']}/{r['id']}"
                self.runs[path] = {"id": _run_node(path), "kind": "run", "run": path, "name": r.get("name"),
                                   "job_type": r.get("job_type"), "project": r["project"], "_doc": r,
                                   "inputs": r.get("inputs", []), "outputs": r.get("outputs", [])}
                self._by_shard[rel].add(path)
        elif rel.startswith("models/"):
            self._load_links(rel, data)

    def _load_links(self, rel: str, data: dict[str, Any]) -> None:
        for vid in self._link_shards.pop(rel, []):
            self.links[vid] = [x for x in self.links[vid] if not x.startswith(f"model-registry/{rel[7:-5]}:")]
        model = data.get("model", {}).get("1")
        if not model:
            return
        touched = []
        for v in data.get("versions", {}).values():
            aliases = sorted(a for a, n in model.get("aliases", {}).items() if n == v["version"])
            label = f"model-registry/{model['name']}:v{v['version']}" + (f" ({', '.join(aliases)})" if aliases else "")
            self.links[v["artifact"]].append(label)
            touched.append(v["artifact"])
        self._link_shards[rel] = touched

    # -- edges -----------------------------------------------------------------------------
    def _reverse(self) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
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
        return list(self._reverse()[0].get(vid, []))


def get_index(reg: "Registry") -> LineageIndex:
    if reg._index is None:
        reg._index = LineageIndex(reg)
    return reg._index.refresh()  # type: ignore[no-any-return]


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


def lineage(reg: "Registry", spec: str, direction: str = "up", depth: int | None = None,
            project: str | None = None) -> dict[str, Any]:
    """The lineage graph around an artifact version (``spec``) or a run (``run:project/id``).

    ``direction``: ``up`` (what made it), ``down`` (what was made from it) or ``both``;
    ``depth``: how many hops (a run and its output are one hop apart), None for all.
    """
    if direction not in ("up", "down", "both"):
        raise InvalidSpecError(f"direction must be 'up', 'down' or 'both', not {direction!r}")
    # resolve first, then refresh: whatever the resolve saw is in the journal the refresh reads
    if spec.startswith("run:"):
        start = reg.run(spec[4:]).path
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
        users, dependents, outputs = index._reverse()
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


def _id(index: LineageIndex, key: str) -> str:
    return index.versions[key]["id"] if key in index.versions else _run_node(key)
