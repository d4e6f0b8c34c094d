"""Downloads and verification: files come out verified, and never outside their target folder.

A download from a local store links each file to its blob (read-only, no copy: a 1 GiB model is
"downloaded" in microseconds); from a remote store it fetches the blob once into the local cache,
verifying it, and links from there, so the next read needs no network.

A hard link is the blob itself, protected only by its read-only mode. A process that can write
read-only files (root: Colab, most containers) would change the stored version by editing its
download, so there the file is a reflink where the filesystem has them, else a copy.
``NB_REGISTRY_LINK=hardlink`` or ``copy`` overrides the choice. Loading a stored object
(``%use`` of a ``--var``) reads the blob directly and copies nothing in either case.

A packed file (a small file stored in a pack with many others, :mod:`nb_registry.store.packs`) has
no blob of its own to link to: a hard link names a whole inode, and the pack is one inode for
thousands of files. Its download is therefore a new file holding its bytes, read from the pack
(fetched whole into the local cache first when the store is remote and the version needs much of
it), checked against the file's digest, and written on a thread pool, pack by pack, in offset order.
Where no file is there yet it is created under its own name (``O_EXCL | O_NOFOLLOW``: never through a
link, never over a file), which saves a rename per file; a file that is there is replaced by a rename.
A file already downloaded and unchanged (its stat-cache row still matches) is not written again, so
``%use --path`` of a packed folder already downloaded returns after a walk of stats.

Nothing is written through a link: below the folder the user chose (or the registry's root, for
the default folder in its cache), every folder is opened without following links
(:mod:`nb_registry.store.nofollow`), so a link planted in a shared registry's cache cannot send a
download (or the ``os.replace`` that finishes it) elsewhere.
"""

from __future__ import annotations

import errno
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from .errors import IntegrityError, InvalidSpecError, NotFoundError, RegistryError, UnsafePathError
from .names import safe_entry_name
from .progress import Tracker
from .references import check_reference, fetch_reference
from .store.blobs import BlobStore
from .store.hashing import hash_bytes
from .store.nofollow import Folder, copy_into, create, link_into, move_into, private_tmp

if TYPE_CHECKING:
    from .artifact import Artifact, ArtifactEntry


class Registry(Protocol):
    """What downloads need of the registry: its stores and resolving a dependency."""

    store: Any
    blobs: Any

    def artifact(self, spec: str) -> "Artifact": ...


def default_root(reg: "Registry", art: "Artifact") -> str:
    base, parts = _default_folder(reg, art)
    return os.path.join(base, *parts)


def _default_folder(reg: "Registry", art: "Artifact") -> tuple[str, tuple[str, ...]]:
    """(trusted base, folders below it) of a version's default download folder in the cache.

    The cache of a local registry is ``<root>/cache``, inside a folder others may write: only the
    root is trusted there. A cache elsewhere (``NB_REGISTRY_CACHE``, ``~/.cache``) is the user's own."""
    parts = ("artifacts", art.project or "", art.collection, art.version or "")
    cache = os.path.abspath(reg.store.cache_dir)
    root = os.path.abspath(reg.store.url) if reg.blobs.is_local else None
    if root is not None and cache == os.path.join(root, "cache"):
        return root, ("cache", *parts)
    return cache, parts


def safe_join(root: str, name: str) -> str:
    """``root/name``, refusing names (or symlinked folders) that lead outside ``root``. For reads."""
    rel = safe_entry_name(name)
    dest = os.path.join(root, *rel.split("/"))
    real_root = os.path.realpath(root)
    real_parent = os.path.realpath(os.path.dirname(dest))
    if real_parent != real_root and not real_parent.startswith(real_root + os.sep):
        raise UnsafePathError(f"entry {name!r} would be read from outside {root} (through a link); refused")
    return dest


def _entry_parts(name: str) -> tuple[str, ...]:
    return tuple(safe_entry_name(name).split("/"))


def local_blob(reg: "Registry", digest: str) -> str:
    """A verified local path to a blob's content, fetching it into the cache if the store is remote."""
    cache = reg.store.local_blobs
    if cache is not reg.blobs and cache.exists_loose(digest):
        return cache.verified_local(digest)  # fetched before: no network
    if not cache.exists_loose(digest) and _packed(reg, [digest]):
        if cache is reg.blobs:  # a packed file of a local store: a loose copy in the cache, never in the store
            cache = BlobStore(os.path.join(reg.store.cache_dir, "unpacked"), reg.store.stat_cache)
        if not cache.exists_loose(digest):
            os.makedirs(os.path.dirname(cache.path(digest)), exist_ok=True)
            tmp = os.path.join(cache.root, "tmp", f"{uuid.uuid4().hex}.part")
            reg.blobs.get_file(digest, tmp)  # verifies
            cache.adopt(tmp, digest)
    elif cache is not reg.blobs and not cache.exists(digest):
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


def materialise(reg: "Registry", digest: str, folder: Folder, parts: tuple[str, ...], link: bool = True,
                name: str | None = None) -> None:
    """Put the blob's content at ``folder/parts``: a hard link where that is safe, else a reflink or a copy.

    A damaged or missing blob is refused, naming the entry (``name``) it was for."""
    dest = folder.path(parts)
    try:
        src = local_blob(reg, digest)
    except (IntegrityError, NotFoundError) as e:
        raise type(e)(f"refusing to download {name or dest!r}: {e}") from None
    st = folder.lstat(parts)
    if st is not None:
        blob = os.stat(src)
        if (st.st_ino, st.st_dev) == (blob.st_ino, blob.st_dev) or reg.store.stat_cache.get(dest, st) == digest:
            return
    hard = link and hard_links_are_safe()
    linked = []

    def fill(fd: int | None, tmp: str) -> None:
        if hard:
            try:
                link_into(src, fd, tmp)
                return linked.append(True)
            except OSError:
                pass  # another filesystem, or no hard links there: copy
        copy_into(src, fd, tmp)

    folder.write(parts, fill)
    with reg.store.stat_cache.batch():  # one transaction
        if linked:  # a new link moves the blob's ctime: it was verified just now, so record it as it is now
            reg.store.stat_cache.put(src, digest)
        reg.store.stat_cache.put(dest, digest)


def _fetch(rec: dict[str, object], folder: Folder, parts: tuple[str, ...]) -> None:
    """A URL reference, fetched (and checked) in a private folder, then moved into place."""
    with private_tmp() as tmp_dir:
        fetched = os.path.join(tmp_dir, "ref")
        fetch_reference(rec, fetched)  # type: ignore[arg-type]
        folder.write(parts, lambda fd, tmp: move_into(fetched, fd, tmp))


def check_layout(art: "Artifact") -> None:
    """A manifest in which one entry is a folder of another (``a`` and ``a/b``) was not made by a log (which
    refuses it): it is damaged, and downloading it would leave half a folder. Refused before anything is written."""
    names = set(art.manifest)
    for name in sorted(names):
        parts = name.split("/")
        clash = next(("/".join(parts[:i]) for i in range(1, len(parts)) if "/".join(parts[:i]) in names), None)
        if clash is not None:
            raise IntegrityError(f"the manifest (file list) of {art.id} is damaged: it holds both {clash!r} and {name!r}, "
                                 f"so {clash!r} would have to be a file and a folder at once; nothing was downloaded. "
                                 "Log the files again, or restore the registry from a backup")


def _selected(art: "Artifact", path_prefix: str | None) -> list[tuple[str, dict[str, Any]]]:
    """The entries a download fetches: all, or those whose name starts with ``path_prefix`` (as W&B reads it)."""
    entries = sorted(art.manifest.items())
    if path_prefix is None:
        return entries
    chosen = [(n, r) for n, r in entries if n.startswith(path_prefix)]
    if not chosen:
        names = ", ".join(n for n, _ in entries[:20])
        raise NotFoundError(f"{art.id} has no entry whose name starts with {path_prefix!r}; entries: {names}")
    return chosen


def _download(reg: "Registry", art: "Artifact", folder: Folder, prefix: tuple[str, ...], refs: bool, link: bool,
              path_prefix: str | None = None, allow_missing: bool = False) -> None:
    """Every selected entry: stored files, URL references (fetched and checked, as W&B does) and, with
    ``refs``, the artifacts this one depends on, into ``<entry name>/``."""
    check_layout(art)
    selected = _selected(art, path_prefix)
    tracker = Tracker(sum(int(r.get("size") or 0) for _, r in selected if "artifact" not in r), f"downloading {art.id}")
    folder.open(prefix)
    stored: list[tuple[tuple[str, ...], str, str, int]] = []
    for name, rec in selected:
        parts = prefix + _entry_parts(name)
        if "artifact" in rec:
            if refs:
                _download(reg, reg.artifact(rec["artifact"]), folder, parts, refs=True, link=link)
        elif "ref" in rec and not rec["ref"].startswith("nbr://"):
            try:
                _fetch(rec, folder, parts)
            except NotFoundError:
                if not allow_missing:
                    raise
                import warnings

                warnings.warn(f"{art.id}: reference {rec['ref']} (entry {name!r}) no longer exists; skipped "
                              "(allow_missing_references=True)", stacklevel=4)
            tracker.add(int(rec.get("size") or 0))
        else:
            stored.append((parts, rec["digest"], name, int(rec.get("size") or 0)))
    packed = _packed(reg, [s[1] for s in stored])
    for parts, digest, name, size in stored:
        if digest not in packed:
            materialise(reg, digest, folder, parts, link, name)
            tracker.add(size)
    write_packed(reg, folder, [s for s in stored if s[1] in packed], tracker.add)


def _packed(reg: "Registry", digests: list[str]) -> set[str]:
    """Those of ``digests`` stored only in packs. What the local cache holds (loose or packed) is known without
    the network; the store's pack index is read only for the rest."""
    cache = reg.store.local_blobs
    cache.packs.refresh()
    out, unknown = set(), []
    for d in digests:
        if cache.exists_loose(d):
            continue
        if cache.packs.locate(d, refresh=False) is not None:
            out.add(d)
        elif cache is not reg.blobs:
            unknown.append(d)
    if unknown:
        reg.blobs.packs.refresh()
        out.update(d for d in unknown if reg.blobs.packs.locate(d, refresh=False) is not None)
    return out


Packed = list[tuple[tuple[str, ...], str, str, int]]  # (parts, digest, entry name, size)


def write_packed(reg: "Registry", folder: Folder, files: Packed, progress: Any = None) -> None:
    """Write packed files into ``folder`` (see the module docstring): skip those already there, read the rest
    pack by pack, check each against its digest, write them on a thread pool."""
    todo = []
    present = {}
    for parts, digest, name, size in files:
        folder.open(parts[:-1])  # every folder opened here, before the threads share them
        st = folder.lstat(parts)
        if st is not None:
            present[folder.path(parts)] = st
    known = reg.store.stat_cache.get_many(present.items())
    for f in files:
        if known.get(folder.path(f[0])) == f[1]:
            progress and progress(f[3])
        else:
            todo.append(f)
    if not todo:
        return
    source = _pack_source(reg, [f[1] for f in todo])

    def where(f: tuple[tuple[str, ...], str, str, int]) -> tuple[str, int]:
        slot = source.packs.locate(f[1], refresh=False) or reg.blobs.packs.locate(f[1], refresh=False)
        return (slot.pack, slot.offset) if slot else ("", 0)

    def one(item: tuple[tuple[str, ...], str, str, int]) -> None:
        parts, digest, name, size = item
        try:
            here = source.packs.locate(digest, refresh=False) is not None
            data = source.packs.read(digest) if here else reg.blobs.read_bytes(digest)
        except NotFoundError as e:
            raise NotFoundError(f"refusing to download {name!r}: {e}") from None
        if hash_bytes(data) != digest:
            raise IntegrityError(f"refusing to download {name!r}: packed file {digest[:12]} in {reg.blobs.url} is damaged "
                                 "(its content no longer matches its digest)")

        def fill(fd: int | None, tmp: str) -> None:
            _write_all(create(fd, tmp), data)

        dest = folder.path(parts)
        if dest in present or not _create_new(folder, parts, data):
            folder.write(parts, fill)  # a file is there: replaced whole, by a rename
        reg.store.stat_cache.put(dest, digest)
        if progress:
            progress(size)

    items = sorted(todo, key=where)  # pack by pack, in offset order
    # Creating a file is kernel work under the folder's lock, with the GIL handed over at every call: on two cores,
    # threads made a download of 5,000 packed files slower (0.52-0.57 s against 0.32-0.38 s on one thread), so
    # files are written on threads only where there are more cores to run them.
    cores = os.cpu_count() or 1
    workers = 1 if len(items) < 64 or cores <= 2 else min(16, 2 * cores)
    with reg.store.stat_cache.batch():
        if workers == 1:
            for it in items:
                one(it)
        else:
            chunks = [items[i:i + 64] for i in range(0, len(items), 64)]
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda c: [one(it) for it in c], chunks))


def _write_all(out: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(out, view):]
    finally:
        os.close(out)


def _create_new(folder: Folder, parts: tuple[str, ...], data: bytes) -> bool:
    """Write a file where there was none: created under its own name (never through a link, never over a file:
    ``O_EXCL | O_NOFOLLOW``), which saves a download of thousands of files a rename each. False when a file
    appeared there meanwhile. A write that fails removes what it created; a download killed in the middle
    may leave that one file short, with no stat-cache row, so the next download replaces it."""
    fd = folder.open(parts[:-1])
    name = parts[-1] if fd is not None else folder.path(parts)
    try:
        out = create(fd, name)
    except FileExistsError:
        return False
    try:
        _write_all(out, data)
    except BaseException as e:
        os.unlink(name, dir_fd=fd) if fd is not None else os.unlink(name)
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise RegistryError(f"could not write {folder.path(parts)} ({folder.what}): {e.strerror} (the disk is "
                                "full): free some space and download again") from None
        raise
    return True


def _pack_source(reg: "Registry", digests: list[str]) -> BlobStore:
    """Where packed files are read from: the store when local; else the local cache, into which the packs that
    hold many of these files are fetched whole (one GET each, checked against the pack's name) first."""
    if reg.blobs.is_local:
        return reg.blobs
    cache = reg.store.local_blobs
    cache.packs.refresh()
    wanted: dict[str, int] = {}
    for d in digests:
        if cache.packs.locate(d, refresh=False) is None:
            slot = reg.blobs.packs.locate(d, refresh=False)
            if slot is not None:
                wanted[slot.pack] = wanted.get(slot.pack, 0) + 1
    rows = reg.blobs.packs.rows() if wanted else {}
    for pack, n in wanted.items():
        if n >= 16 or n * 4 >= len(rows.get(pack, ())):  # else a ranged GET per file costs less
            data = reg.blobs.packs.read_pack(pack)
            cache.packs.write([(d, data[o:o + length]) for d, o, length in sorted(rows[pack], key=lambda r: r[1])])
    return cache


def _target(reg: "Registry", art: "Artifact", root: str | None) -> tuple[Folder, tuple[str, ...]]:
    """The folder to write into: ``root`` as the user gave it (trusted, links included), or the cache."""
    if root is not None:
        return Folder(root, f"the download of {art.id}"), ()
    base, parts = _default_folder(reg, art)
    return Folder(base, f"the download of {art.id}"), tuple(p for p in parts if p)


def download(reg: "Registry", art: "Artifact", root: str | None = None, refs: bool = False, link: bool = True,
             path_prefix: str | None = None, allow_missing: bool = False) -> str:
    """Every file of ``art`` (or those under ``path_prefix``) under ``root`` (default: its folder in the cache);
    returns the folder."""
    check_layout(art)  # before the folder is made
    _selected(art, path_prefix)  # a prefix that names nothing is refused before the folder is made
    folder, prefix = _target(reg, art, root)
    with folder, reg.store.stat_cache.batch():  # the cache rows of every file in one transaction
        _download(reg, art, folder, prefix, refs, link, path_prefix, allow_missing)
        return folder.path(prefix)


def download_entry(reg: "Registry", art: "Artifact", entry: "ArtifactEntry", root: str | None = None) -> str:
    check_layout(art)
    folder, prefix = _target(reg, art, root)
    with folder:
        parts = prefix + _entry_parts(entry.path)
        if entry.dependency:
            _download(reg, reg.artifact(entry.dependency), folder, parts, refs=True, link=True)
        elif entry.ref and not entry.ref.startswith("nbr://"):
            _fetch(art.manifest[entry.path], folder, parts)
        elif _packed(reg, [entry.digest]):
            write_packed(reg, folder, [(parts, entry.digest, entry.path, int(entry.size or 0))])
        else:
            materialise(reg, entry.digest, folder, parts, name=entry.path)
        return folder.path(parts)


def verify(reg: "Registry", art: "Artifact", root: str | None = None) -> list[str]:
    """Re-hash every stored file in full (or the files under ``root``) and re-check references."""
    from .store.hashing import hash_file

    problems: list[str] = []
    stored: list[tuple[str, str]] = []
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
        else:
            stored.append((name, rec["digest"]))
    bad = reg.blobs.verify_many([d for _, d in stored])
    problems += [f"{name}: stored blob {d[:12]} is missing or damaged" for name, d in stored if d in bad]
    if problems:
        problems.sort()
        raise IntegrityError(f"{art.id} failed verification:\n  " + "\n  ".join(problems))
    return problems
