"""The registry service: the only module that decides what is written about artifacts.

``Registry`` logs drafts as versions, resolves specs (``project/name:alias``), moves aliases and
answers queries. Runs, registered models, lineage and transfers live in their own modules and
call into this one; the faces (CLI, magics, widgets, server) call the public ``Api``.
"""

from __future__ import annotations

import json
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from . import envinfo
from .artifact import Artifact, check_metadata, split_artifact_uri
from .errors import IntegrityError, InvalidSpecError, NotFoundError
from .names import DEFAULT_PROJECT, Spec, check_alias, check_movable_alias, check_name, split_version_id, version_id, version_number
from .progress import Tracker
from .query import query
from .store import Store, open_store
from .store.hashing import blake3
from .store.metadata import CONTENT_INDEX, NO_CHANGE

if TYPE_CHECKING:
    from .runs import Run

MANIFEST_FORMAT = "nb_registry.manifest/1"
REGISTRY_SHARD = "registry.json"


def collection_rel(project: str, name: str) -> str:
    return f"collections/{project}/{name}.json"


def _json_key(d: Mapping[str, Any], k: str) -> str:
    """A metadata value as stored (JSON), so that True and 1, or 1 and 1.0, count as different."""
    return json.dumps(d[k], sort_keys=True) if k in d else "\0missing"


def manifest_digest(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """The version digest: a hash over a header and sorted ``path:digest`` lines (as W&B does)."""
    h = blake3(f"{MANIFEST_FORMAT}\n".encode())
    for name in sorted(entries):
        h.update(f"{name}:{entries[name]['digest']}\n".encode())
    return h.hexdigest()


def _coll(data: dict[str, Any]) -> dict[str, Any]:
    return data.get("collection", {}).get("1", {})


def _aliases_of(coll: dict[str, Any], versions: dict[str, Any], n: int) -> list[str]:
    out = sorted(a for a, v in coll.get("aliases", {}).items() if v == n)
    if versions and n == _latest(coll, versions):
        out.insert(0, "latest")
    return out


def _latest(coll: dict[str, Any], versions: dict[str, Any]) -> int:
    """The newest version number: the last one assigned, unless retention removed it (it never does)."""
    n = int(coll.get("next", 0)) - 1
    return n if str(n + 1) in versions else max(int(k) for k in versions) - 1


class Registry:
    """One registry root. Thread-safe for readers; writers serialise on the registry lock."""

    def __init__(self, root: str | None = None, cache_dir: str | None = None, **storage_options: Any) -> None:
        self.store: Store = open_store(root, cache_dir=cache_dir, **storage_options)
        self.meta = self.store.meta
        self.blobs = self.store.blobs
        self._manifests: dict[str, dict[str, Any]] = {}
        self._index: Any = None

    @property
    def url(self) -> str:
        return self.store.url

    def __repr__(self) -> str:
        return f"<Registry {self.url}>"

    # -- building objects ------------------------------------------------------------------
    def _artifact(self, doc: dict[str, Any], aliases: list[str]) -> Artifact:
        art = Artifact.__new__(Artifact)
        art._collection, art._project = doc["name"], doc["project"]
        art.type, art.description = doc["type"], doc.get("description")
        art.metadata = json.loads(json.dumps(doc.get("metadata") or {}))
        art._pending, art._staging, art._manifest = {}, None, None
        art._doc, art._registry, art.aliases, art.deduplicated = doc, self, aliases, False
        return art

    def load_manifest(self, digest: str) -> dict[str, dict[str, Any]]:
        m = self._manifests.get(digest)
        if m is None:
            try:
                data = json.loads(self.blobs.read_verified(digest))
            except NotFoundError:  # the version is listed, so its manifest must exist: the store is damaged
                raise IntegrityError(f"the manifest (file list) {digest} of a logged version is missing from "
                                     f"{self.blobs.url}; restore it from a backup of the blobs folder") from None
            if data.get("format") != MANIFEST_FORMAT:
                raise InvalidSpecError(f"manifest {digest} has unknown format {data.get('format')!r}")
            m = self._manifests[digest] = data["entries"]
        return m

    # -- logging ---------------------------------------------------------------------------
    def _store_entries(self, art: Artifact) -> tuple[dict[str, dict[str, Any]], list[str], int]:
        """Put the draft's files into the blob store; return (manifest entries, dependencies, new bytes)."""
        entries: dict[str, dict[str, Any]] = {}
        deps: list[str] = []
        local = [(n, e) for n, e in art._pending.items() if "local" in e]

        tracker = Tracker(sum(int(e.get("size") or 0) for _, e in local), f"logging {art.collection}")

        def put(item: tuple[str, dict[str, Any]]) -> tuple[str, str, int, bool]:
            name, e = item
            if not os.path.isfile(e["local"]):
                raise NotFoundError(f"file {e['local']} (entry {name!r}) no longer exists")
            stored = self.blobs.put_file(e["local"])
            tracker.add(stored[1])
            return (name, *stored)

        workers = 1 if len(local) < 8 else min(16, (os.cpu_count() or 2) * 4)
        with self.store.stat_cache.batch():  # one SQLite transaction for the whole log
            if workers == 1:
                results = [put(item) for item in local]
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(put, local))
        new_bytes = 0
        for name, digest, size, new in results:
            entries[name] = {"digest": digest, "size": size}
            new_bytes += size if new else 0
        for name, e in art._pending.items():
            if "artifact_file" in e:
                vid, path = split_artifact_uri(e["artifact_file"])
                target = self.artifact(vid).get_entry(path)
                entries[name] = {"digest": target.digest, "size": target.size, "ref": e["artifact_file"]}
                deps.append(target.artifact.id)  # type: ignore[union-attr]
            elif "artifact" in e:
                self.artifact(e["artifact"])  # must still exist
                entries[name] = dict(e)
                deps.append(e["artifact"])
            elif "ref" in e:
                entries[name] = dict(e)
        return entries, sorted(set(deps)), new_bytes

    def log(self, art: Artifact, project: str | None = None, aliases: Iterable[str] = (),
            run: "Run | None" = None, code: str | None = None) -> Artifact:
        """Store a draft as the next version of its collection (or return the identical existing one).

        ``code``, the source of the step that made it (a notebook cell), is stored as a blob."""
        art._draft()
        project = check_name(project or art._project or DEFAULT_PROJECT, "project")
        aliases = [a for a in dict.fromkeys(aliases or ()) if a != "latest"]
        for a in aliases:
            check_alias(a)
        metadata = check_metadata(art.metadata)  # edited after the draft was made: checked before anything is stored
        gc_generation = self._gc_generation()
        entries, deps, new_bytes = self._store_entries(art)
        if not entries:
            raise InvalidSpecError(f"artifact {art.collection!r} is empty: add files or references before logging it")
        manifest = json.dumps({"format": MANIFEST_FORMAT, "entries": entries}, sort_keys=True, separators=(",", ":"))
        mdigest, _ = self.blobs.put_bytes(manifest.encode())
        digest = manifest_digest(entries)
        doc = {
            "project": project, "name": art.collection, "type": art.type, "description": art.description,
            "metadata": metadata, "digest": digest, "manifest": mdigest,
            "size": sum(int(e.get("size") or 0) for e in entries.values()), "files": len(entries),
            "deps": deps, "created_at": envinfo.now(), "created_by": envinfo.user(), "host": envinfo.host(),
            "run": run.path if run is not None else None,
            "git": (run.git if run is not None else None),
            "code": self.blobs.put_bytes(code.encode())[0] if code else None,
        }
        rel = collection_rel(project, art.collection)
        current = self.meta.raw(rel)
        same = next((v for v in current.get("versions", {}).values() if v["digest"] == digest and v["type"] == art.type), None)
        if same is not None and all(_coll(current).get("aliases", {}).get(a) == same["version"] for a in aliases):
            created = existing = same  # identical content with these aliases already: nothing to write
        else:
            with self.meta.transaction():
                if self._gc_generation() != gc_generation:  # a gc ran meanwhile: it may have freed a blob we deduplicated
                    self._restore_blobs(art, entries, mdigest, manifest, code)
                created, existing = self.meta.update(rel, lambda data: self._commit(data, doc, aliases, entries))
        result = self.artifact(version_id(project, art.collection, created["version"]))
        result.deduplicated = existing is not None
        if existing is not None and ((metadata and _json_key({"m": metadata}, "m") != _json_key({"m": existing.get("metadata")}, "m"))
                                     or (art.description is not None and art.description != existing.get("description"))):
            warnings.warn(f"{result.id} already holds these exact files, so no new version was made and its metadata "
                          "and description were kept; to change them: "
                          f"a = api.artifact({result.id!r}); a.metadata.update(...); a.save()", stacklevel=3)
        result.new_bytes = new_bytes  # type: ignore[attr-defined]
        self._manifests[mdigest] = entries
        art.__dict__.update({k: v for k, v in result.__dict__.items() if k != "_pending"})
        art._pending = {}
        return result

    def _gc_generation(self) -> int:
        return int(self.meta.raw(REGISTRY_SHARD).get("settings", {}).get("gc", {}).get("generation", 0))

    def _restore_blobs(self, art: Artifact, entries: dict[str, Any], mdigest: str, manifest: str,
                       code: str | None = None) -> None:
        for name, e in art._pending.items():
            if "local" in e and not self.blobs.exists(entries[name]["digest"]):
                self.blobs._upload(e["local"], entries[name]["digest"])
        if not self.blobs.exists(mdigest):
            self.blobs.put_bytes(manifest.encode())
        if code:
            self.blobs.put_bytes(code.encode())  # a no-op when it is still there

    def _commit(self, data: dict[str, Any], doc: dict[str, Any], aliases: list[str],
                entries: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any], Any]:
        coll = data.setdefault("collection", {}).setdefault("1", {
            "project": doc["project"], "name": doc["name"], "type": doc["type"], "created_at": doc["created_at"],
            "next": 0, "aliases": {}})
        if coll["type"] != doc["type"]:
            raise InvalidSpecError(
                f"collection {doc['project']}/{doc['name']} holds artifacts of type {coll['type']!r}, not {doc['type']!r}; "
                "use another name or the same type")
        versions = data.setdefault("versions", {})
        existing = next((v for v in versions.values() if v["digest"] == doc["digest"]), None)
        target = existing or dict(doc, version=coll["next"])
        if existing is None:
            versions[str(coll["next"] + 1)] = target
            coll["next"] += 1
            # Written before the shard that makes the version visible, so a writer killed in between leaves
            # no version that listings or find_by_content miss (find_by_content skips lines naming no such file).
            if target["version"] == 0:
                self._register_collection(doc["project"], doc["name"], doc["type"])
            vid = version_id(doc["project"], doc["name"], target["version"])
            self.meta.append(CONTENT_INDEX, [f"{e['digest']}\t{vid}\t{n}" for n, e in entries.items() if "artifact" not in e])
        self._move_aliases(data, target["version"], aliases, doc["created_by"])
        return target, existing

    @staticmethod
    def _move_aliases(data: dict[str, Any], version: int, aliases: Iterable[str], who: str) -> None:
        coll = _coll(data)
        history = data.setdefault("alias_history", {})
        for a in aliases:
            before = coll["aliases"].get(a)
            if before == version:
                continue
            coll["aliases"][a] = version
            history[str(len(history) + 1)] = {"alias": a, "from": before, "to": version, "by": who, "at": envinfo.now()}

    @staticmethod
    def _drop_alias(data: dict[str, Any], alias: str, who: str) -> None:
        """Remove an alias and record it in the alias history (``to`` is None)."""
        before = _coll(data)["aliases"].pop(alias)
        history = data.setdefault("alias_history", {})
        history[str(len(history) + 1)] = {"alias": alias, "from": before, "to": None, "by": who, "at": envinfo.now()}

    def _register_collection(self, project: str, name: str, type_: str) -> None:
        def add(data: dict[str, Any]) -> Any:
            table = data.setdefault("collections", {})
            key = f"{project}/{name}"
            if key in table:
                return NO_CHANGE
            table[key] = {"project": project, "name": name, "type": type_, "created_at": envinfo.now()}
            return None

        self.meta.update(REGISTRY_SHARD, add)

    # -- resolving -------------------------------------------------------------------------
    def _shard(self, project: str, name: str) -> dict[str, Any]:
        data = self.meta.raw(collection_rel(project, name))
        if not data.get("versions"):
            known = [c["name"] for c in self.collections(project)]
            hint = f"; artifacts in project {project!r}: {', '.join(known)}" if known else f"; project {project!r} has no artifacts"
            raise NotFoundError(f"no artifact named {name!r} in project {project!r}{hint}")
        return data

    def artifact(self, spec: str | Spec, project: str | None = None, type: str | None = None) -> Artifact:
        """Resolve ``[project/]name[:alias|:vN]`` (default ``latest``) or ``model-registry/NAME:ALIAS``."""
        s = spec if isinstance(spec, Spec) else Spec.parse(spec, project or DEFAULT_PROJECT)
        if s.is_registry and not self.meta.raw(collection_rel(s.project, s.name)).get("versions"):
            from .models import resolve_registered

            return resolve_registered(self, s)
        data = self._shard(s.project, s.name)
        coll, versions = _coll(data), data["versions"]
        n = version_number(s.selector)
        if n is None:
            if s.selector == "latest":
                n = _latest(coll, versions)
            elif s.selector in coll.get("aliases", {}):
                n = coll["aliases"][s.selector]
            else:
                names = ["latest", *sorted(coll.get("aliases", {}))]
                raise NotFoundError(f"{s.project}/{s.name} has no alias {s.selector!r}; aliases: {', '.join(names)}")
        doc = versions.get(str(n + 1))
        if doc is None:
            have = ", ".join(f"v{int(k) - 1}" for k in sorted(versions, key=int)[-10:])
            raise NotFoundError(f"{s.project}/{s.name} has no version v{n}; versions: {have}")
        if type is not None and doc["type"] != type:
            raise NotFoundError(f"{s.project}/{s.name}:v{n} is of type {doc['type']!r}, not {type!r}")
        return self._artifact(doc, _aliases_of(coll, versions, n))

    def collections(self, project: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
        rows = [r for r in self.meta.raw(REGISTRY_SHARD).get("collections", {}).values()
                if (project is None or r["project"] == project) and (type is None or r["type"] == type)]
        # A collection is registered before its first version's shard is written, so that listings never
        # miss a version; a writer killed in between leaves a row with no shard: hide it (the next log of
        # that name fills it). One directory listing per project, not one lookup per collection.
        shards = {p: set(self.meta.listdir(f"collections/{p}")) for p in {r["project"] for r in rows}}
        return sorted((r for r in rows if f"{r['name']}.json" in shards[r["project"]]), key=lambda r: (r["project"], r["name"]))

    def projects(self) -> list[str]:
        """Projects with artifacts or runs."""
        return sorted({c["project"] for c in self.collections()} | set(self.meta.listdir("runs")))

    def versions(self, name: str, project: str | None = None, filters: Mapping[str, Any] | None = None,
                 order: str | Sequence[str] | None = None, limit: int | None = None) -> list[Artifact]:
        """Versions of a collection, optionally filtered and sorted with :mod:`nb_registry.query`."""
        s = Spec.parse(name, project or DEFAULT_PROJECT)
        data = self._shard(s.project, s.name)
        coll, versions = _coll(data), data["versions"]
        rows = [dict(v, aliases=_aliases_of(coll, versions, v["version"])) for v in versions.values()]
        rows = query(rows, filters, order or "version", limit)
        return [self._artifact({k: v for k, v in r.items() if k != "aliases"}, r["aliases"]) for r in rows]

    # -- aliases and edits -----------------------------------------------------------------
    def set_alias(self, spec: str, alias: str, project: str | None = None) -> Artifact:
        """Point ``alias`` at the version ``spec`` names (moving it off any other version)."""
        check_movable_alias(alias)
        art = self.artifact(spec, project)
        with self.meta.transaction():
            self.meta.update(collection_rel(art.project or "", art.collection),
                             lambda d: self._move_aliases(d, art._doc["version"], [alias], envinfo.user()))  # type: ignore[index]
        return self.artifact(art.id)

    def remove_alias(self, name: str, alias: str, project: str | None = None, version: int | None = None) -> None:
        """Remove ``alias`` (recorded in the history); with ``version``, only if the alias is on that
        version, checked under the lock (else :class:`InvalidSpecError` saying where it is)."""
        check_movable_alias(alias)
        s = Spec.parse(name, project or DEFAULT_PROJECT)

        def drop(data: dict[str, Any]) -> Any:
            if alias not in _coll(data).get("aliases", {}):
                raise NotFoundError(f"{s.project}/{s.name} has no alias {alias!r}")
            holder = _coll(data)["aliases"][alias]
            if version is not None and holder != version:
                raise InvalidSpecError(f"{s.project}/{s.name}:v{version} does not hold alias {alias!r} (it is on "
                                       f"{s.project}/{s.name}:v{holder}); nothing removed")
            self._drop_alias(data, alias, envinfo.user())

        with self.meta.transaction():
            self._shard(s.project, s.name)
            self.meta.update(collection_rel(s.project, s.name), drop)

    def alias_history(self, name: str, project: str | None = None) -> list[dict[str, Any]]:
        s = Spec.parse(name, project or DEFAULT_PROJECT)
        return [dict(v) for _, v in sorted(self._shard(s.project, s.name).get("alias_history", {}).items(), key=lambda kv: int(kv[0]))]

    def update(self, art: Artifact) -> Artifact:
        """Save a logged version's description, metadata and aliases (the W&B ``artifact.save()``)."""
        metadata = check_metadata(art.metadata)
        wanted = [a for a in dict.fromkeys(art.aliases) if a != "latest"]
        for a in wanted:
            check_alias(a)
        n = art._logged()["version"]

        def edit(data: dict[str, Any]) -> None:
            doc = data["versions"][str(n + 1)]
            doc["description"], doc["metadata"] = art.description, metadata
            coll = _coll(data)
            for a in [a for a, v in coll["aliases"].items() if v == n and a not in wanted]:
                self._drop_alias(data, a, envinfo.user())
            self._move_aliases(data, n, wanted, envinfo.user())

        with self.meta.transaction():
            self.meta.update(collection_rel(art.project or "", art.collection), edit)
        fresh = self.artifact(art.id)
        art._doc, art.aliases = fresh._doc, fresh.aliases
        return art

    # -- content queries -------------------------------------------------------------------
    def find_by_content(self, path_or_digest: str) -> list[tuple[Artifact, str]]:
        """Every (version, entry name) holding this content, whatever the file is called."""
        if os.path.isfile(path_or_digest):
            digest = self.store.stat_cache.get(os.path.abspath(path_or_digest)) or _hash(path_or_digest)
        else:
            digest = path_or_digest.lower()
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise InvalidSpecError(f"{path_or_digest!r} is neither an existing file nor a 64-hex-digit content digest")
        out: list[tuple[Artifact, str]] = []
        for line in self.meta.read_log(CONTENT_INDEX).decode().splitlines():
            if line.startswith(digest):
                _, vid, entry = line.split("\t", 2)
                try:
                    art = self.artifact(vid)
                except NotFoundError:
                    continue  # the version was removed by retention
                if art.manifest.get(entry, {}).get("digest") == digest:  # not a line left by a killed writer
                    out.append((art, entry))
        return out

    def diff(self, a: str, b: str, project: str | None = None) -> dict[str, Any]:
        """Files added, removed and changed (by digest), and metadata keys changed, from ``a`` to ``b``."""
        x, y = self.artifact(a, project), self.artifact(b, project)
        mx, my = x.manifest, y.manifest
        meta_keys = sorted(set(x.metadata) | set(y.metadata))
        return {
            "from": x.id, "to": y.id,
            "added": sorted(set(my) - set(mx)),
            "removed": sorted(set(mx) - set(my)),
            "changed": sorted(n for n in set(mx) & set(my) if mx[n]["digest"] != my[n]["digest"]),
            "unchanged": sorted(n for n in set(mx) & set(my) if mx[n]["digest"] == my[n]["digest"]),
            "metadata": {k: {"from": x.metadata.get(k), "to": y.metadata.get(k)}
                         for k in meta_keys if _json_key(x.metadata, k) != _json_key(y.metadata, k)},
        }

    # -- transfers (see transfer.py) and runs (see runs.py) ---------------------------------
    def download(self, art: Artifact, root: str | None = None, refs: bool = False) -> str:
        from .transfer import download

        return download(self, art, root, refs)

    def download_entry(self, art: Artifact, entry: Any, root: str | None = None) -> str:
        from .transfer import download_entry

        return download_entry(self, art, entry, root)

    def verify(self, art: Artifact, root: str | None = None) -> list[str]:
        from .transfer import verify

        return verify(self, art, root)

    def run(self, run_id: str) -> Any:
        from .runs import load_run

        return load_run(self, run_id)

    def used_by(self, art: Artifact) -> list[Any]:
        from .runs import runs_using

        return runs_using(self, art.id)

    def version_exists(self, vid: str) -> bool:
        project, name, n = split_version_id(vid)
        return str(n + 1) in self.meta.raw(collection_rel(project, name)).get("versions", {})


def _hash(path: str) -> str:
    from .store.hashing import hash_file

    return hash_file(path)
