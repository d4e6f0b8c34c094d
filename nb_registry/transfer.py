"""Downloads and verification: files come out verified, and never outside their target folder.

A download from a local store links each file to its blob (read-only, no copy: a 1 GiB model is
"downloaded" in microseconds); from a remote store it fetches the blob once into the local cache,
verifying it, and links from there, so the next read needs no network.

A hard link is the blob itself, protected only by its read-only mode. A process that can write
read-only files (root: Colab, most containers) would change the stored version by editing its
download, so there the file is a reflink where the filesystem has them, else a copy.
``NB_REGISTRY_LINK=hardlink`` or ``copy`` overrides the choice. Loading a stored object
(``%use`` of a ``--var``) reads the blob directly and copies nothing in either case.
"""

from __future__ import annotations

import os
import shutil
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from .errors import IntegrityError, InvalidSpecError, NotFoundError, UnsafePathError
from .names import safe_entry_name
from .progress import Tracker
from .references import check_reference, fetch_reference
from .store.blobs import clone_or_copy

if TYPE_CHECKING:
    from .artifact import Artifact, ArtifactEntry


class Registry(Protocol):
    """What downloads need of the registry: its stores and resolving a dependency."""

    store: Any
    blobs: Any

    def artifact(self, spec: str) -> "Artifact": ...


def default_root(reg: "Registry", art: "Artifact") -> str:
    return os.path.join(reg.store.cache_dir, "artifacts", art.project or "", art.collection, art.version or "")


def safe_join(root: str, name: str) -> str:
    """``root/name``, refusing names (or symlinked folders) that lead outside ``root``."""
    rel = safe_entry_name(name)
    dest = os.path.join(root, *rel.split("/"))
    real_root = os.path.realpath(root)
    real_parent = os.path.realpath(os.path.dirname(dest))
    if real_parent != real_root and not real_parent.startswith(real_root + os.sep):
        raise UnsafePathError(f"entry {name!r} would be written outside {root} (through a link); refused")
    return dest


def local_blob(reg: "Registry", digest: str) -> str:
    """A verified local path to a blob's content, fetching it into the cache if the store is remote."""
    cache = reg.store.local_blobs
    if cache is not reg.blobs and not cache.exists(digest):
        os.makedirs(os.path.dirname(cache.path(digest)), exist_ok=True)
        tmp = os.path.join(cache.root, "tmp", f"{uuid.uuid4().hex}.part")
        reg.blobs.get_file(digest, tmp)  # verifies while it fetches
        cache.adopt(tmp, digest)
    return cache.verified_local(digest)


LINK_ENV = "NB_REGISTRY_LINK"


def hard_links_are_safe() -> bool:
    """Whether a read-only hard link keeps the blob safe from its user: not when the process can write
    read-only files anyway (root), unless ``NB_REGISTRY_LINK`` says otherwise."""
    choice = os.environ.get(LINK_ENV, "auto").strip().lower()
    if choice not in ("auto", "hardlink", "copy"):
        raise InvalidSpecError(f"{LINK_ENV}={choice!r}: use auto, hardlink or copy")
    if choice != "auto":
        return choice == "hardlink"
    return not (hasattr(os, "geteuid") and os.geteuid() == 0)


def materialise(reg: "Registry", digest: str, dest: str, link: bool = True, name: str | None = None) -> None:
    """Put the blob's content at ``dest``: a hard link where that is safe, else a reflink or a copy.

    A damaged or missing blob is refused, naming the entry (``name``) it was for."""
    try:
        src = local_blob(reg, digest)
    except (IntegrityError, NotFoundError) as e:
        raise type(e)(f"refusing to download {name or dest!r}: {e}") from None
    try:
        st = os.stat(dest)
        if (st.st_ino, st.st_dev) == (os.stat(src).st_ino, os.stat(src).st_dev) or reg.store.stat_cache.get(dest, st) == digest:
            return
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = f"{dest}.{uuid.uuid4().hex[:8]}.part"
    try:
        if link and hard_links_are_safe():
            try:
                os.link(src, tmp)
            except OSError:
                shutil.copyfile(src, tmp)
        else:
            clone_or_copy(src, tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    reg.store.stat_cache.put(dest, digest)


def download(reg: "Registry", art: "Artifact", root: str | None = None, refs: bool = False, link: bool = True) -> str:
    root = os.path.abspath(root or default_root(reg, art))
    os.makedirs(root, exist_ok=True)
    tracker = Tracker(sum(int(r.get("size") or 0) for r in art.manifest.values() if "artifact" not in r), f"downloading {art.id}")
    for name, rec in sorted(art.manifest.items()):
        dest = safe_join(root, name)
        if "artifact" in rec:
            if refs:
                download(reg, reg.artifact(rec["artifact"]), dest, refs=True, link=link)
        elif "ref" in rec and not rec["ref"].startswith("nbr://"):
            if refs:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                fetch_reference(rec, dest)
        else:
            materialise(reg, rec["digest"], dest, link, name)
        tracker.add(int(rec.get("size") or 0) if "artifact" not in rec else 0)
    return root


def download_entry(reg: "Registry", art: "Artifact", entry: "ArtifactEntry", root: str | None = None) -> str:
    root = os.path.abspath(root or default_root(reg, art))
    dest = safe_join(root, entry.path)
    if entry.dependency:
        return download(reg, reg.artifact(entry.dependency), dest, refs=True)
    if entry.ref and not entry.ref.startswith("nbr://"):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        fetch_reference(art.manifest[entry.path], dest)
    else:
        materialise(reg, entry.digest, dest, name=entry.path)
    return dest


def verify(reg: "Registry", art: "Artifact", root: str | None = None) -> list[str]:
    """Re-hash every stored file in full (or the files under ``root``) and re-check references."""
    from .store.hashing import hash_file

    problems: list[str] = []
    for name, rec in sorted(art.manifest.items()):
        if "artifact" in rec:
            try:
                dep = reg.artifact(rec["artifact"])
                if dep.digest != rec["digest"]:
                    problems.append(f"{name}: dependency {rec['artifact']} has digest {dep.digest[:12]}, recorded {rec['digest'][:12]}")
            except NotFoundError:
                problems.append(f"{name}: dependency {rec['artifact']} no longer exists")
        elif "ref" in rec and not rec["ref"].startswith("nbr://"):
            problem = check_reference(rec)
            if problem:
                problems.append(f"{name}: {problem}")
        elif root is not None:
            path = safe_join(root, name)
            if not os.path.isfile(path):
                problems.append(f"{name}: missing from {root}")
            elif hash_file(path) != rec["digest"]:
                problems.append(f"{name}: {path} does not match the logged content")
        elif not reg.blobs.verify(rec["digest"]):
            problems.append(f"{name}: stored blob {rec['digest'][:12]} is missing or damaged")
    if problems:
        raise IntegrityError(f"{art.id} failed verification:\n  " + "\n  ".join(problems))
    return problems
