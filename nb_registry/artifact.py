"""``Artifact``: a versioned set of files and references, named as in W&B so users can switch.

An ``Artifact`` is a draft until a run logs it (``state == "PENDING"``): ``add_file``, ``add_dir``,
``new_file`` and ``add_reference`` build its manifest. Logging makes it ``"COMMITTED"``: it then
has a ``version`` (``v0``, ``v1`` ...), a ``digest`` over its manifest, aliases, and can be
downloaded and verified. Nothing is hashed or copied before the log, and the log copies each
file once, hashing as it copies.
"""

from __future__ import annotations

import builtins
import json
import os
import tempfile
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

from .errors import (AlreadyExistsError, ArtifactStateError, EntryNotFoundError, InvalidNameError, InvalidSpecError,
                     NotFoundError, RegistryError)
from .names import Spec, check_metadata, check_name, check_text, safe_entry_name  # check_metadata: used here and re-exported
from .store.records import Version

# How a draft's save() logs it: on the current run, or on a run started for it. Runs are a layer above
# this module, so the public API (nb_registry.api, imported with the package) installs it.
_log_draft: "Callable[[Artifact, str | None], None] | None" = None


def on_save_draft(log: "Callable[[Artifact, str | None], None]") -> None:
    """Install how :meth:`Artifact.save` logs a draft (called once by :mod:`nb_registry.api`)."""
    global _log_draft
    _log_draft = log


class ArtifactBackend(Protocol):
    """What a logged artifact asks of the registry that handed it out (the registry implements it)."""

    def load_manifest(self, digest: str) -> dict[str, dict[str, Any]]: ...
    def read_blob(self, digest: str) -> bytes: ...
    def local_blob(self, digest: str) -> str: ...
    def download(self, art: "Artifact", root: str | None = None, refs: bool = False, path_prefix: str | None = None,
                 allow_missing: bool = False) -> str: ...
    def download_entry(self, art: "Artifact", entry: "ArtifactEntry", root: str | None = None) -> str: ...
    def verify(self, art: "Artifact", root: str | None = None) -> list[str]: ...
    def update(self, art: "Artifact") -> "Artifact": ...
    def run(self, run_path: str) -> Any: ...
    def used_by(self, art: "Artifact") -> list[Any]: ...
    def delete_version(self, art: "Artifact", delete_aliases: bool = False) -> None: ...

ARTIFACT_SCHEME = "nbr://"


def split_artifact_uri(uri: str) -> tuple[str, str]:
    """``nbr://project/name:vN/path/in/it`` -> (``project/name:vN``, ``path/in/it``)."""
    body = uri[len(ARTIFACT_SCHEME):]
    head, colon, rest = body.partition(":")
    version, slash, path = rest.partition("/")
    if not colon or not slash or not path:
        raise InvalidSpecError(f"bad artifact reference {uri!r}; expected nbr://project/name:vN/path")
    Spec.parse(f"{head}:{version}")
    return f"{head}:{version}", path


def type_name(value: Any) -> str:
    return "None" if value is None else builtins.type(value).__name__


def _parents(name: str) -> list[str]:
    """``a/b/c`` -> ``["a", "a/b"]``."""
    parts = name.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


POLICIES = ("mutable", "immutable")


def _local(path: str, policy: str, size: int | None = None) -> dict[str, Any]:
    """The pending entry of a local file: what the log stores."""
    if policy not in POLICIES:
        raise InvalidSpecError(f"policy={policy!r}: use 'mutable' (copied into the store) or 'immutable' (linked)")
    entry: dict[str, Any] = {"local": path, "size": os.path.getsize(path) if size is None else size}
    if policy == "immutable":
        entry["policy"] = "immutable"
    return entry


def _same_content(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two pending entries store the same thing: the same file (or files of equal content), the same
    reference, the same stored blob."""
    if "local" in old and "local" in new:
        if old["local"] == new["local"] or os.path.samefile(old["local"], new["local"]):
            return True
        if os.path.getsize(old["local"]) != os.path.getsize(new["local"]):
            return False
        from .store.hashing import hash_file

        return bool(hash_file(old["local"]) == hash_file(new["local"]))
    keys = ("ref", "artifact", "artifact_file", "digest")
    return all(old.get(k) == new.get(k) for k in keys) and any(k in old for k in keys)


def _walk(root: str) -> Iterator[tuple[str, str]]:
    """(path, entry name below ``root``) of every file below a folder, in name order. Symbolic links are
    followed, to files and to folders alike (a checkpoint folder often links its shards); a link to a folder that
    contains it is a loop and is refused, as is a name that is not UTF-8."""
    above = {root: frozenset([os.path.realpath(root)])}  # each folder walked -> itself and its ancestors, resolved
    for folder, dirs, files in os.walk(root, followlinks=True):
        for d in dirs:
            child = os.path.join(folder, d)
            real = os.path.realpath(child)
            if real in above[folder]:
                raise InvalidSpecError(f"add_dir: {child} links to {real}, a folder that contains it (a loop); "
                                       "remove the link or add the folders one by one")
            above[child] = above[folder] | {real}
        dirs.sort()
        below = "" if folder == root else os.path.relpath(folder, root).replace(os.sep, "/") + "/"  # once a folder
        for f in sorted(files):
            full = os.path.join(folder, f)
            rel = below + f
            try:
                check_text(rel, "file name")
            except InvalidNameError:
                raise InvalidNameError(f"add_dir: the name of {os.fsencode(full)!r} is not UTF-8, so it cannot be an "
                                       "entry name; rename the file, or add it with add_file(path, name=...)") from None
            yield full, rel


@dataclass(frozen=True)
class ArtifactEntry:
    """One file or reference of an artifact version (W&B's ``ArtifactManifestEntry``)."""

    path: str
    digest: str
    size: int | None
    ref: str | None = None  # URL for a reference; None for a stored file
    artifact: "Artifact | None" = None
    dependency: str | None = None  # version id, for a whole-artifact reference

    def ref_uri(self) -> str:
        """The ``nbr://project/name:vN/path`` address other artifacts reference this entry by."""
        if self.artifact is None or self.artifact.state != "COMMITTED":
            raise RegistryError("only entries of a logged artifact can be referenced")
        return f"{ARTIFACT_SCHEME}{self.artifact.id}/{self.path}"

    ref_url = ref_uri  # W&B's name

    def ref_target(self) -> str:
        """The URL (or ``nbr://`` address) this reference entry points at (W&B's ``entry.ref_target()``);
        ArtifactStateError for a stored file, which points at nothing."""
        if self.ref is None and self.dependency is None:
            raise ArtifactStateError(f"entry {self.path!r} is a stored file, not a reference")
        return self.ref or f"{ARTIFACT_SCHEME}{self.dependency}"

    def is_reference(self) -> bool:
        return self.ref is not None or self.dependency is not None

    def download(self, root: str | None = None) -> str:
        """Fetch this one file (verified) and return its local path."""
        if self.artifact is None:
            raise RegistryError("this entry belongs to no logged artifact")
        return self.artifact._backend_required().download_entry(self.artifact, self, root)


class Artifact:
    """A versioned collection of files and references. See the module docstring."""

    def __init__(self, name: str, type: str = "model", description: str | None = None,
                 metadata: dict[str, Any] | None = None) -> None:
        if not isinstance(name, str):
            raise InvalidNameError("an artifact name is a string such as 'model', not "
                                   + ("None" if name is None else f"{type_name(name)} {name!r:.80}"))
        if description is not None:
            if not isinstance(description, str):
                raise InvalidSpecError(f"description must be a string, not {type_name(description)}")
            check_text(description, "description", InvalidSpecError)
        body, colon, selector = name.partition(":")
        if colon:
            raise InvalidNameError(f"invalid artifact name {name!r}: the version ({selector!r}) is chosen when it is "
                                   f"logged; name it {body!r} (aliases go in aliases=[...])")
        self._project: str | None = None
        parts = body.split("/")
        if len(parts) > 3:
            raise InvalidNameError(f"invalid artifact name {name!r}: expected [[entity/]project/]name")
        if len(parts) > 1:  # entity/project/name: the entity is ignored, as in specs
            self._project = check_name(parts[-2], "project")
        body = parts[-1]
        self._collection = check_name(body, "artifact name")
        self.type = check_name(type, "artifact type")
        self.description = description
        self.metadata = check_metadata(metadata)
        self._pending: dict[str, dict[str, Any]] = {}  # entry name -> what to store
        self._staging: str | None = None
        self._record: Version | None = None  # set once logged
        self._manifest: dict[str, dict[str, Any]] | None = None
        self._backend: ArtifactBackend | None = None
        self.aliases: list[str] = []
        self.deduplicated = False  # set by a log that found identical content
        self.new_bytes = 0  # bytes the log added to the store
        self.linked_as: str | None = None  # "model-registry/NAME:vN" when reached through a registered model

    @classmethod
    def from_record(cls, record: Version, backend: ArtifactBackend) -> "Artifact":
        """A logged version as handed out by a registry (how the registry builds these; not for users)."""
        art = cls.__new__(cls)
        art._collection, art._project = record.name, record.project
        art.type, art.description = record.type, record.description
        art.metadata = json.loads(json.dumps(dict(record.metadata)))  # the user's own copy to edit and save()
        art._pending, art._staging, art._manifest = {}, None, None
        art._record, art._backend, art.aliases = record, backend, list(record.aliases)
        art.deduplicated, art.new_bytes, art.linked_as = False, 0, None
        return art

    def mark_logged(self, logged: "Artifact") -> None:
        """Turn this draft into the version it was logged as (W&B's draft becomes committed in place)."""
        staging = self._staging
        self.__dict__.update({k: v for k, v in logged.__dict__.items() if k not in ("_pending", "_staging")})
        self._pending, self._staging = {}, None
        if staging:
            import shutil

            shutil.rmtree(staging, ignore_errors=True)

    # -- identity -------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return "COMMITTED" if self._record is not None else "PENDING"

    @property
    def collection(self) -> str:
        return self._collection

    @property
    def project(self) -> str | None:
        return self._record.project if self._record else self._project

    @property
    def version(self) -> str | None:
        return f"v{self._record.version}" if self._record else None

    @property
    def name(self) -> str:
        """``name:vN`` once logged (as in W&B), else the collection name."""
        return f"{self._collection}:{self.version}" if self._record else self._collection

    @property
    def id(self) -> str:
        return self._logged().id

    @property
    def qualified_name(self) -> str:
        """``project/name:vN``: a stable identifier to stamp on predictions."""
        return self.id

    @property
    def source_name(self) -> str:
        return self.name

    def _logged(self) -> Version:
        if self._record is None:
            raise ArtifactStateError(f"artifact {self._collection!r} is not logged yet; call run.log_artifact(artifact) "
                                     "(or artifact.save()) first")
        return self._record

    def blob_path(self, digest: str) -> str:
        """A verified local path to one of this version's blobs (fetched into the cache if the store is remote)."""
        return self._backend_required().local_blob(digest)

    def _backend_required(self) -> ArtifactBackend:
        self._logged()
        assert self._backend is not None
        return self._backend

    @property
    def record(self) -> Version:
        """The stored record of a logged version (frozen)."""
        return self._logged()

    @property
    def digest(self) -> str:
        return self._logged().digest

    @property
    def size(self) -> int:
        if self._record:
            return int(self._record.size)
        return sum(int(e.get("size") or 0) for e in self._pending.values())

    @property
    def file_count(self) -> int:
        """How many entries (files and references) the version holds."""
        return int(self._record.files) if self._record else len(self._pending)

    @property
    def created_at(self) -> str | None:
        return self._record.created_at if self._record else None

    @property
    def updated_at(self) -> str | None:
        """When the version's record last changed (its metadata or description saved), else when it was made."""
        return (self._record.extra.get("updated_at") or self._record.created_at) if self._record else None

    @property
    def entity(self) -> str | None:
        """Who made the version (there are no W&B entities: the user name, or the entity its run recorded)."""
        return self._record.created_by if self._record else None

    @property
    def source_version(self) -> str | None:
        """The version of the artifact itself (``vN``), also when it was reached through a registered model."""
        return self.version

    @property
    def source_collection(self) -> str:
        return self._collection

    @property
    def created_by(self) -> str | None:
        return self._record.created_by if self._record else None

    @property
    def producer_run(self) -> str | None:
        return self._record.run if self._record else None

    @property
    def code(self) -> str | None:
        """The source of the step that logged this version (a notebook cell), when it was recorded."""
        digest = self._record.code if self._record else None
        return self._backend_required().read_blob(digest).decode() if digest else None

    @property
    def dependencies(self) -> list[str]:
        return list(self._record.deps) if self._record else []

    @property
    def info(self) -> dict[str, Any]:
        """Everything recorded for this version, as a JSON-ready dict."""
        doc = self._logged().to_doc()
        doc["metadata"] = json.loads(json.dumps(doc.get("metadata") or {}))
        doc["aliases"] = list(self.aliases)
        return doc

    def __repr__(self) -> str:
        if self._record:
            return f"<Artifact {self.id} type={self.type} aliases={self.aliases} digest={self.digest[:12]}>"
        return f"<Artifact {self._collection} (draft, {len(self._pending)} entries)>"

    # -- building a draft -------------------------------------------------------------------
    def pending_entries(self) -> dict[str, dict[str, Any]]:
        """What a draft will store, by entry name (read-only: add and remove entries with the methods)."""
        return dict(self._pending)

    def require_logged(self) -> Version:
        """The stored record; raise unless this version is logged."""
        return self._logged()

    def require_draft(self) -> None:
        """Raise unless this is a draft (a logged version is immutable)."""
        self._draft()

    def _draft(self) -> None:
        if self._record is not None:
            raise ArtifactStateError(f"{self.id} is logged and immutable; edit a new version with "
                                     f"{self.collection}.new_draft() (or create a new Artifact)")

    def _lock(self) -> threading.RLock:
        lock = self.__dict__.get("_edit_lock")
        if lock is None:
            lock = self.__dict__.setdefault("_edit_lock", threading.RLock())
        return lock

    def _put(self, name: str, entry: dict[str, Any], overwrite: bool = False) -> str:
        """Add an entry. A name used twice for the same unchanged file is one entry (as in W&B, from any thread);
        for other content it is an error (a ValueError) unless ``overwrite``, never a silent replacement."""
        name = safe_entry_name(name)
        with self._lock():
            old = self._pending.get(name)
            if old is not None and not overwrite:
                if _same_content(old, entry):
                    return name
                raise AlreadyExistsError(
                    f"{self._collection} already has an entry {name!r} with other content; pass overwrite=True to "
                    "replace it (add_dir: merge=True), or name=... to add this one under another name")
            folders = self.__dict__.get("_folders")
            if folders is None:  # every folder the entries sit in, so that a file and a folder cannot share a name
                folders = self.__dict__["_folders"] = {p for n in self._pending for p in _parents(n)}
            parents = _parents(name)
            clash = next((p for p in parents if p in self._pending), None)
            if name in folders:
                raise AlreadyExistsError(f"{self._collection}: entry {name!r} would be a file, but other entries already "
                                         f"make {name!r} a folder; pass name=... to put it elsewhere")
            if clash is not None:
                raise AlreadyExistsError(f"{self._collection}: entry {name!r} needs {clash!r} to be a folder, but "
                                         f"{clash!r} is already a file entry; pass name=... to put one of them elsewhere")
            folders.update(parents)
            self._pending[name] = entry
        return name

    def add_file(self, local_path: str | os.PathLike[str], name: str | None = None, is_tmp: bool = False,
                 skip_cache: bool | None = None, policy: str = "mutable", overwrite: bool = False) -> ArtifactEntry:
        """Add a local file under ``name`` (default: its base name). It is read when the artifact is logged.

        ``policy="mutable"`` (the default) copies it into the store; ``"immutable"`` is your promise never to
        change the file: it is hashed in place and stored as a reflink, or else a hard link made read-only (the
        file itself becomes read-only, and editing it in place would damage the stored version: replace it
        instead, as ``torch.save`` does), falling back to a copy where neither can be made (another
        filesystem, an object store). ``overwrite=True`` replaces an entry of that name.
        ``is_tmp`` and ``skip_cache`` are W&B's and change nothing here."""
        self._draft()
        path = os.path.abspath(os.fspath(local_path))
        if not os.path.isfile(path):
            raise EntryNotFoundError(f"no such file: {local_path}" + (" (it is a folder: use add_dir)" if os.path.isdir(path) else ""))
        entry_name = self._put(name or os.path.basename(path), _local(path, policy), overwrite)
        return ArtifactEntry(entry_name, "", os.path.getsize(path))

    def add_dir(self, local_path: str | os.PathLike[str], name: str | None = None, skip_cache: bool | None = None,
                policy: str = "mutable", merge: bool = False) -> None:
        """Add every file below a folder, under ``name/`` (default: at the top of the artifact).

        A file already added with the same content is kept; one whose content changed is an error unless
        ``merge=True``, which replaces it (W&B's rule). ``policy`` is as for :meth:`add_file`."""
        self._draft()
        root = os.path.abspath(os.fspath(local_path))
        if not os.path.isdir(root):
            raise EntryNotFoundError(f"no such folder: {local_path}")
        prefix = (safe_entry_name(name) + "/") if name else ""
        for full, rel in _walk(root):
            try:
                size = os.path.getsize(full)
            except FileNotFoundError:
                raise EntryNotFoundError(f"add_dir: {full} is a broken symbolic link (to {os.readlink(full)!r}); "
                                         "fix or remove it") from None
            self._put(prefix + rel, _local(full, policy, size), overwrite=merge)

    @contextmanager
    def new_file(self, name: str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[Any]:
        """Write a new file straight into the artifact: ``with art.new_file("notes.txt") as f: ...``."""
        self._draft()
        entry_name = safe_entry_name(name)
        if self._staging is None:
            self._staging = tempfile.mkdtemp(prefix="nb_registry-staging-")
        path = os.path.join(self._staging, uuid.uuid4().hex)
        kwargs = {} if "b" in mode else {"encoding": encoding}
        with open(path, mode, **kwargs) as f:
            yield f
        self._put(entry_name, {"local": path, "size": os.path.getsize(path)})

    def add_reference(self, uri: "str | ArtifactEntry | Artifact", name: str | None = None,
                      checksum: bool = True, max_objects: int | None = None) -> list[ArtifactEntry]:
        """Record a reference without copying bytes.

        * a URL (``s3://``, ``gs://``, ``https://``, ``file://``, ``memory://``, any fsspec URL): its
          checksum (ETag / version id where the backend has one, else the content hash) and size are
          recorded so ``verify()`` can tell if it changed; a folder adds each object below it;
        * another artifact's entry (``other.get_path("m1.json")``): the file is part of this
          artifact, and ``other`` becomes a dependency;
        * a whole logged artifact: a dependency that ``download(refs=True)`` follows.
        """
        self._draft()
        if isinstance(uri, Artifact):
            uri._logged()
            entry_name = safe_entry_name(name or uri.collection)
            self._put(entry_name, {"artifact": uri.id, "digest": uri.digest, "size": uri.size})
            return [ArtifactEntry(entry_name, uri.digest, uri.size, dependency=uri.id)]
        if isinstance(uri, ArtifactEntry):
            uri = uri.ref_uri()
        if not isinstance(uri, str):
            raise InvalidSpecError(f"add_reference takes a URL, an artifact entry or an artifact, not {type(uri).__name__}")
        if uri.startswith(ARTIFACT_SCHEME):
            vid, path = split_artifact_uri(uri)
            entry_name = safe_entry_name(name or path.rsplit("/", 1)[-1])
            self._put(entry_name, {"artifact_file": uri})
            return [ArtifactEntry(entry_name, "", None, ref=uri)]
        from .references import describe_reference

        found = describe_reference(uri, checksum=checksum, max_objects=max_objects)
        out = []
        for rel, rec in found:
            entry_name = safe_entry_name(name + ("/" + rel if rel else "") if name else (rel or uri.rstrip("/").rsplit("/", 1)[-1]))
            self._put(entry_name, rec)
            out.append(ArtifactEntry(entry_name, rec["digest"], rec.get("size"), ref=rec["ref"]))
        return out

    def remove(self, item: "str | os.PathLike[str] | ArtifactEntry") -> None:
        """Remove an entry (W&B's ``remove``): by entry name, by folder (every entry below it), by an entry
        (``art.add_file(...)`` returns one), or by a local path that was added (a file, or a folder added with
        ``add_dir``). EntryNotFoundError (a FileNotFoundError) when nothing matches, naming the entries."""
        self._draft()
        with self._lock():
            if isinstance(item, ArtifactEntry):
                item = item.path
            names = self._matching(item)
            if not names:
                shown = ", ".join(sorted(self._pending)[:20])
                raise EntryNotFoundError(f"{self._collection} has no entry, folder or added file {os.fspath(item)!r}; "
                                         f"entries: {shown or '(none)'}")
            for n in names:
                del self._pending[n]
            self.__dict__.pop("_folders", None)  # rebuilt on the next add

    def _matching(self, item: "str | os.PathLike[str]") -> list[str]:
        """The entry names ``item`` names: an entry, a folder of entries, or a local file or folder added."""
        text = os.fspath(item)
        try:
            key = safe_entry_name(text)
        except (RegistryError, ValueError):
            key = None
        if key is not None and (key in self._pending or any(n.startswith(key + "/") for n in self._pending)):
            return [n for n in self._pending if n == key or n.startswith(key + "/")]
        path = os.path.abspath(text)
        return [n for n, e in self._pending.items() if "local" in e
                and (e["local"] == path or e["local"].startswith(path.rstrip(os.sep) + os.sep))]

    # -- reading a logged version -----------------------------------------------------------
    @property
    def manifest(self) -> dict[str, dict[str, Any]]:
        """``{entry name: {"digest", "size", ["ref"], ["artifact"]}}`` of a logged version."""
        if self._manifest is None:
            self._manifest = self._backend_required().load_manifest(self._logged().manifest)
        return self._manifest

    def _entry(self, name: str, rec: dict[str, Any]) -> ArtifactEntry:
        return ArtifactEntry(name, rec["digest"], rec.get("size"), rec.get("ref"), self, rec.get("artifact"))

    def files(self) -> list[ArtifactEntry]:
        return [self._entry(n, r) for n, r in sorted(self.manifest.items())]

    def get_entry(self, name: str) -> ArtifactEntry:
        key = safe_entry_name(name)
        rec = self.manifest.get(key)
        if rec is None:
            names = sorted(self.manifest)
            shown = ", ".join(names[:20]) + (f" ... ({len(names)} in all)" if len(names) > 20 else "")
            raise EntryNotFoundError(f"{self.id} has no file {name!r}; it has: {shown or '(no files)'}")
        return self._entry(key, rec)

    get_path = get_entry  # W&B's name for the same thing

    def download(self, root: str | None = None, allow_missing_references: bool = False, skip_cache: bool | None = None,
                 path_prefix: str | None = None, multipart: bool | None = None, refs: bool = False) -> str:
        """Materialise every entry (verified) under ``root``, as W&B does: stored files and references to
        URLs (s3, gs, http, file ...), each checked against the ETag or checksum recorded when it was logged.

        ``path_prefix`` fetches only the entries whose name starts with it; ``refs=True`` also brings the
        artifacts this one depends on (recursively, into ``root/<entry name>/``); ``allow_missing_references``
        skips (with a warning) a reference that no longer exists instead of failing. ``skip_cache`` and
        ``multipart`` are W&B's and change nothing here."""
        return self._backend_required().download(self, root, refs=refs, path_prefix=path_prefix,
                                                 allow_missing=allow_missing_references)

    def verify(self, root: str | None = None) -> list[str]:
        """Re-hash the stored files (or those under ``root``) and re-check references.

        Returns the list of problems; raises :class:`IntegrityError` if there is any."""
        return self._backend_required().verify(self, root)

    def save(self, project: str | None = None) -> "Artifact":
        """A logged version: write back changes to ``description``, ``metadata`` and ``aliases``. A draft: log it
        (W&B's ``artifact.save()``), on the current run, or else on a run of job type ``auto`` started (and
        finished) for it, in ``project`` (default: the artifact's own, or the default project)."""
        if self._record is not None:
            return self._backend_required().update(self)
        if _log_draft is None:
            raise ArtifactStateError(f"saving the draft {self._collection!r} logs it on a run: import nb_registry "
                                     "first (it provides the runs), or log it with run.log_artifact(artifact)")
        _log_draft(self, project)
        return self

    def new_draft(self) -> "Artifact":
        """A draft holding this version's files, references, description and metadata, to edit and log as the next
        version (W&B's ``new_draft``). Stored files are not copied again: the new version shares their blobs."""
        self._logged()
        draft = Artifact(self._collection, self.type, self.description, json.loads(json.dumps(self.metadata)))
        draft._project = self.project
        for name, rec in self.manifest.items():
            if "artifact" in rec:
                entry = {k: rec[k] for k in ("artifact", "digest", "size")}
            elif str(rec.get("ref", "")).startswith(ARTIFACT_SCHEME):
                entry = {"artifact_file": rec["ref"]}
            elif "ref" in rec:
                entry = dict(rec)
            else:
                entry = {"digest": rec["digest"], "size": rec.get("size"), "stored": True}
            draft._put(name, entry)
        return draft

    def is_draft(self) -> bool:
        return self._record is None

    def delete(self, delete_aliases: bool = False) -> None:
        """Delete this version (W&B's ``artifact.delete``). Refused while it holds aliases (unless
        ``delete_aliases=True``, which removes them, recorded in the history), is linked to a registered model,
        is a dependency of another version or was used by a run: those would lose their record of it. The blobs
        are freed by the next ``gc``."""
        self._backend_required().delete_version(self, delete_aliases)

    def logged_by(self) -> Any:
        run = self.producer_run
        return self._backend_required().run(run) if run else None

    def used_by(self) -> list[Any]:
        return self._backend_required().used_by(self)

    def _repr_html_(self) -> str:
        from .display import artifact_html

        return artifact_html(self)
