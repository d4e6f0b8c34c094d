"""Artifacts: logging drafts as versions, resolving specs, aliases, edits, content queries.

:class:`Artifacts` is the part of the registry that decides what is written about artifact
versions. It talks to the metadata store only through its interface (:mod:`nb_registry.store.interface`)
and to the blob store for the bytes; runs, registered models and lineage build on it, and
:class:`~nb_registry.registry.Registry` puts them together.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from typing import Any, Iterable, Mapping, Protocol, Sequence

from . import envinfo, transfer
from .artifact import Artifact, ArtifactBackend, check_metadata, split_artifact_uri
from .errors import IntegrityError, InvalidSpecError, LockTimeoutError, NotFoundError
from .manifest import Manifests, manifest_digest
from .names import DEFAULT_PROJECT, Spec, check_alias, check_movable_alias, check_name, version_number
from .progress import Tracker
from .store import Store, open_store
from .store.interface import StaleGeneration
from .store.records import Version

GC_WAIT = 300.0  # how long a log waits for a garbage collection of an object store to finish


class Producer(Protocol):
    """What a log needs of the run that produces a version."""

    path: str
    git: Any


def json_key(d: Mapping[str, Any], k: str) -> str:
    """A metadata value as stored (JSON), so that True and 1, or 1 and 1.0, count as different."""
    return json.dumps(d[k], sort_keys=True) if k in d else "\0missing"


class Artifacts:
    """Artifact versions of one registry root. Thread-safe for readers; writes are atomic store operations."""

    def __init__(self, root: str | None = None, cache_dir: str | None = None, blobs: str | None = None,
                 **storage_options: Any) -> None:
        self.store: Store = open_store(root, cache_dir=cache_dir, blobs=blobs, **storage_options)
        self.meta = self.store.meta
        self.blobs = self.store.blobs
        self.manifests = Manifests(self.blobs)

    @property
    def url(self) -> str:
        return self.store.url

    @property
    def backend(self) -> ArtifactBackend:
        """What logged artifacts call back into (the full registry, which also knows runs)."""
        return self  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    def _artifact(self, record: Version) -> Artifact:
        return Artifact.from_record(record, self.backend)

    def load_manifest(self, digest: str) -> dict[str, dict[str, Any]]:
        return self.manifests.load(digest)

    def read_blob(self, digest: str) -> bytes:
        return self.blobs.read_verified(digest)

    def local_blob(self, digest: str) -> str:
        return transfer.local_blob(self, digest)

    # -- logging -----------------------------------------------------------------------------
    def _store_entries(self, art: Artifact) -> tuple[dict[str, dict[str, Any]], list[str], int]:
        """Put the draft's files into the blob store; return (manifest entries, dependencies, new bytes)."""
        entries: dict[str, dict[str, Any]] = {}
        deps: list[str] = []
        pending = art.pending_entries()
        local = [(n, e) for n, e in pending.items() if "local" in e]
        tracker = Tracker(sum(int(e.get("size") or 0) for _, e in local), f"logging {art.collection}")
        # stats, the stat cache and reads in bulk, small files packed (store/filesets.py); a file its owner
        # promised never to change (policy="immutable") is linked into the store instead of copied
        plain = [(n, e) for n, e in local if e.get("policy") != "immutable"]
        stored = dict(zip([n for n, _ in plain], self.blobs.put_files(
            [e["local"] for _, e in plain], tracker.add, {e["local"]: n for n, e in plain})))
        for name, e in local:
            if e.get("policy") == "immutable":
                if not os.path.isfile(e["local"]):
                    raise NotFoundError(f"file {e['local']} (entry {name!r}) no longer exists")
                stored[name] = self.blobs.put_immutable(e["local"])
                tracker.add(stored[name][1])
        results = [(name, *stored[name]) for name, _ in local]
        new_bytes = 0
        for name, digest, size, new in results:
            entries[name] = {"digest": digest, "size": size}
            new_bytes += size if new else 0
        for name, e in pending.items():
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
            elif e.get("stored"):  # carried over by new_draft(): its blob is in the store already
                if not self.blobs.exists(e["digest"]):
                    raise NotFoundError(f"entry {name!r}: blob {e['digest'][:12]} is no longer in the store "
                                        "(its version was deleted and collected); add the file again")
                entries[name] = {"digest": e["digest"], "size": e["size"]}
        return entries, sorted(set(deps)), new_bytes

    def log(self, art: Artifact, project: str | None = None, aliases: Iterable[str] = (),
            run: Producer | None = None, code: str | None = None) -> Artifact:
        """Store a draft as the next version of its collection (or return the identical existing one).

        ``code``, the source of the step that made it (a notebook cell), is stored as a blob."""
        art.require_draft()
        project = check_name(project or art.project or DEFAULT_PROJECT, "project")
        aliases = [a for a in dict.fromkeys(aliases or ()) if a != "latest"]
        for a in aliases:
            check_alias(a)
        metadata = check_metadata(art.metadata)  # edited after the draft was made: checked before anything is stored
        gc_generation = self.meta.gc_generation()
        entries, deps, new_bytes = self._store_entries(art)
        if not entries:
            raise InvalidSpecError(f"artifact {art.collection!r} is empty: add files or references before logging it")
        with self.store.stat_cache.batch():  # the rows of new manifest nodes in one transaction
            mdigest, _ = self.manifests.store(entries)
        code_blob = self.blobs.put_bytes(code.encode())[0] if code else None
        record = Version(project=project, name=art.collection, version=-1, type=art.type, digest=manifest_digest(entries),
                         manifest=mdigest, size=sum(int(e.get("size") or 0) for e in entries.values()), files=len(entries),
                         metadata=metadata, description=art.description, deps=tuple(deps), created_at=envinfo.now(),
                         created_by=envinfo.user(), host=envinfo.host(), run=run.path if run is not None else None,
                         git=run.git if run is not None else None, code=code_blob)
        content = [(e["digest"], n) for n, e in entries.items() if "artifact" not in e]
        waited = 0.0
        while True:  # identical content whose aliases are in place already writes nothing
            try:
                committed = self.meta.commit_version(record, aliases, by=record.created_by or "", content=content,
                                                     gc_generation=gc_generation)
                break
            except StaleGeneration as e:  # a gc ran (or runs): it may have freed a blob we deduplicated against
                if e.running:
                    if waited > GC_WAIT:
                        raise LockTimeoutError(f"a garbage collection of {self.url} has been running for over "
                                               f"{GC_WAIT:.0f} s; log again when it is done") from None
                    pause = min(0.05 * 2 ** min(waited, 5), 1.0)
                    time.sleep(pause)
                    waited += pause
                gc_generation = e.current
                self._restore_blobs(art, entries, code)
        result = self._artifact(committed.version)
        existing = None if committed.created else committed.version
        result.deduplicated = existing is not None
        if existing is not None and ((metadata and json_key({"m": metadata}, "m") != json_key({"m": dict(existing.metadata)}, "m"))
                                     or (art.description is not None and art.description != existing.description)):
            warnings.warn(f"{result.id} already holds these exact files, so no new version was made and its metadata "
                          "and description were kept; to change them: "
                          f"a = api.artifact({result.id!r}); a.metadata.update(...); a.save()", stacklevel=3)
        result.new_bytes = new_bytes
        self.manifests.remember(mdigest, entries)
        art.mark_logged(result)
        return result

    def _restore_blobs(self, art: Artifact, entries: dict[str, Any], code: str | None = None) -> None:
        """After a gc: store again whatever it may have removed (a packed file may be in another pack now)."""
        self.blobs.packs.refresh()
        for name, e in art.pending_entries().items():
            if e.get("stored") and not self.blobs.exists(e["digest"]):  # carried over by new_draft(): no local copy
                raise NotFoundError(f"entry {name!r}: blob {e['digest'][:12]} was collected while this version was "
                                    "logged (the version it came from was deleted); add the file again")
        wanted = {e["local"]: entries[name]["digest"] for name, e in art.pending_entries().items()
                  if "local" in e and not self.blobs.exists(entries[name]["digest"])}
        for path, (digest, _, _) in zip(wanted, self.blobs.put_files(list(wanted))):
            if digest != wanted[path]:  # what the version names must be what is stored
                raise IntegrityError(f"{path} changed while it was being logged; log it again when it is complete")
        self.manifests.store(entries, again=True)
        if code:
            self.blobs.put_bytes(code.encode())  # a no-op when it is still there

    # -- resolving ---------------------------------------------------------------------------
    def artifact(self, spec: "str | Spec", project: str | None = None, type: str | None = None) -> Artifact:
        """Resolve ``[project/]name[:alias|:vN]`` (default ``latest``), ``model-registry/NAME:ALIAS`` or MLflow's
        ``models:/NAME@ALIAS`` and ``models:/NAME/VERSION``.

        A bare ``name:alias`` that is no collection of the project it is read in resolves, as W&B code expects,
        to the registered model of that name; and when no project was chosen (``project`` None), to the one
        project that has such a collection. More than one candidate is an error naming each full form."""
        s = spec if isinstance(spec, Spec) else Spec.parse(spec, project or DEFAULT_PROJECT)
        if s.is_registry and not self._has_collection(s.project, s.name):
            return self.registered(s.name, s.selector)
        n = version_number(s.selector)
        try:
            record = self.meta.get_version(s.project, s.name, n if n is not None else s.selector)
        except NotFoundError:
            if s.explicit or self._has_collection(s.project, s.name):
                raise
            return self._elsewhere(s, project is None, type)
        if type is not None and record.type != type:
            raise NotFoundError(f"{record.id} is of type {record.type!r}, not {type!r}")
        return self._artifact(record)

    def _elsewhere(self, s: Spec, any_project: bool, type: str | None) -> Artifact:
        """A bare spec whose project has no such collection: a registered model of that name, or (when no
        project was chosen) the one project holding it. Raises NotFoundError naming what exists."""
        found = [f"{c.project}/{s.name}:{s.selector}" for c in self.meta.collections()
                 if c.name == s.name and c.project != s.project and any_project]
        if self._has_model(s.name):
            found.insert(0, f"model-registry/{s.name}:{s.selector}")
        if len(found) == 1:
            return self.artifact(found[0], type=type)
        where = "no project was chosen" if any_project else f"it is read in project {s.project!r}"
        if found:
            raise NotFoundError(f"{s.name}:{s.selector} is ambiguous ({where}, and project {s.project!r} has no "
                                f"collection {s.name!r}); name one of: {', '.join(found)}")
        try:
            self.meta.collection(s.project, s.name)  # the store's own message names the project's collections
        except NotFoundError as e:
            elsewhere = "no other project has it, and " if any_project else ""
            raise NotFoundError(f"{e}; {elsewhere}there is no registered model {s.name!r} (name another project's "
                                f"with project/{s.name}:{s.selector})") from None
        raise NotFoundError(f"{s.project}/{s.name} has no version {s.selector!r}")

    def _has_model(self, name: str) -> bool:
        try:
            self.meta.get_model(name)
            return True
        except NotFoundError:
            return False

    def _has_collection(self, project: str, name: str) -> bool:
        try:
            self.meta.collection(project, name)
            return True
        except NotFoundError:
            return False

    def registered(self, model: str, selector: str = "latest") -> Artifact:
        """The artifact version behind a registered model's alias, ``vN`` or ``latest``."""
        record = self.meta.get_model(model)
        if not record.count:
            raise NotFoundError(f"registered model {model!r} has no linked versions yet")
        n = version_number(selector)
        if selector == "latest":
            n = record.latest
        elif n is None:
            if selector not in record.aliases:
                raise NotFoundError(f"registered model {model!r} has no alias {selector!r}; aliases: "
                                    f"{', '.join(['latest', *sorted(record.aliases)])}")
            n = record.aliases[selector]
        link = next((v for v in self.meta.model_versions(model) if v.version == n), None)
        if link is None:
            have = ", ".join(f"v{v.version}" for v in self.meta.model_versions(model))
            raise NotFoundError(f"registered model {model!r} has no version {selector!r}; versions: {have}")
        art = self.artifact(link.artifact)
        art.linked_as = f"model-registry/{model}:v{link.version}"
        return art

    def collections(self, project: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.meta.collections(project, type)]

    def projects(self) -> list[str]:
        """Projects with artifacts or runs."""
        return self.meta.projects()

    def versions(self, name: str, project: str | None = None, filters: Mapping[str, Any] | None = None,
                 order: str | Sequence[str] | None = None, limit: int | None = None) -> list[Artifact]:
        """Versions of a collection, optionally filtered and sorted with :mod:`nb_registry.query`."""
        s = Spec.parse(name, project or DEFAULT_PROJECT)
        if project is None and not s.explicit and not self._has_collection(s.project, s.name):
            holders = sorted(c.project for c in self.meta.collections() if c.name == s.name)
            if len(holders) == 1:  # no project chosen: the one project that has it, as artifact() reads it
                s = Spec(holders[0], s.name, s.selector)
            elif holders:
                raise NotFoundError(f"{s.name!r} is ambiguous (no project was chosen): name one of "
                                    + ", ".join(f"{p}/{s.name}" for p in holders))
        return [self._artifact(r) for r in self.meta.versions(s.project, s.name, filters, order, limit)]

    # -- aliases and edits -------------------------------------------------------------------
    def set_alias(self, spec: str, alias: str, project: str | None = None) -> Artifact:
        """Point ``alias`` at the version ``spec`` names (moving it off any other version)."""
        check_movable_alias(alias)
        art = self.artifact(spec, project)
        record = art.record
        self.meta.move_alias(record.project, record.name, alias, record.version, by=envinfo.user())
        return self.artifact(art.id)

    def remove_alias(self, name: str, alias: str, project: str | None = None, version: int | None = None) -> None:
        """Remove ``alias`` (recorded in the history); with ``version``, only if the alias is on that version."""
        check_movable_alias(alias)
        s = Spec.parse(name, project or DEFAULT_PROJECT)
        self.meta.remove_alias(s.project, s.name, alias, by=envinfo.user(), version=version)

    def alias_history(self, name: str, project: str | None = None) -> list[dict[str, Any]]:
        s = Spec.parse(name, project or DEFAULT_PROJECT)
        return [e.to_dict() for e in self.meta.alias_history(s.project, s.name)]

    def delete_version(self, art: Artifact, delete_aliases: bool = False) -> None:
        """Delete one version a user asked to (see :meth:`Artifact.delete`); InvalidSpecError saying what protects it."""
        r = art.record
        done = self.meta.delete_version(r.project, r.name, r.version, by=envinfo.user(), delete_aliases=delete_aliases)
        if not done.removed:
            hint = "; pass delete_aliases=True to remove them with it" if "alias" in done.reason else ""
            raise InvalidSpecError(f"{r.id} was not deleted: it {done.reason.removeprefix('it ')}{hint}")

    def update(self, art: Artifact) -> Artifact:
        """Save a logged version's description, metadata and aliases (the W&B ``artifact.save()``)."""
        metadata = check_metadata(art.metadata)
        wanted = [a for a in dict.fromkeys(art.aliases) if a != "latest"]
        for a in wanted:
            check_alias(a)
        r = art.record
        self.meta.update_version(r.project, r.name, r.version, description=art.description, metadata=metadata,
                                 aliases=wanted, by=envinfo.user())
        fresh = self.artifact(art.id)
        art.mark_logged(fresh)
        return art

    # -- content queries ---------------------------------------------------------------------
    def find_by_content(self, path_or_digest: str) -> list[tuple[Artifact, str]]:
        """Every (version, entry name) holding this content, whatever the file is called."""
        if os.path.isfile(path_or_digest):
            from .store.hashing import hash_file

            digest = self.store.stat_cache.get(os.path.abspath(path_or_digest)) or hash_file(path_or_digest)
        else:
            digest = path_or_digest.lower()
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise InvalidSpecError(f"{path_or_digest!r} is neither an existing file nor a 64-hex-digit content digest")
        out: list[tuple[Artifact, str]] = []
        for vid, entry in self.meta.find_content(digest):
            try:
                art = self.artifact(vid)
            except NotFoundError:
                continue  # removed by retention since
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
                         for k in meta_keys if json_key(x.metadata, k) != json_key(y.metadata, k)},
        }

    # -- transfers ---------------------------------------------------------------------------
    def download(self, art: Artifact, root: str | None = None, refs: bool = False, path_prefix: str | None = None,
                 allow_missing: bool = False) -> str:
        return transfer.download(self, art, root, refs, path_prefix=path_prefix, allow_missing=allow_missing)

    def download_entry(self, art: Artifact, entry: Any, root: str | None = None) -> str:
        return transfer.download_entry(self, art, entry, root)

    def verify(self, art: Artifact, root: str | None = None) -> list[str]:
        return transfer.verify(self, art, root)
