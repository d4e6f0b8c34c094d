"""Manifests: the list of entries of a version, stored as content-addressed blobs.

A small manifest is one blob, ``{"format": "nb_registry.manifest/1", "entries": {name: {"digest",
"size", ...}}}``. A manifest of more than :data:`TREE_FROM` entries is a tree of blobs, so that a new
version of a 50,000-file folder that changed one file writes only the few nodes on that file's path:

    root  {"format": "nb_registry.manifest/2", "files": N, "children": [[first name, digest, files], ...]}
    node  {"format": "nb_registry.manifest-node/2", "children": [...]}   (inner)
          {"format": "nb_registry.manifest-node/2", "entries": {name: entry, ...}}   (leaf)

The entries, sorted by name, are cut into leaves where the CRC-32 of a name hits one value in
:data:`LEAF_SPLIT` (so about that many entries to a leaf, never more than :data:`LEAF_MAX`), and the
leaves into inner nodes the same way by their first names. A cut depends on the name alone, not on
the position, so adding, removing or changing a file changes the one leaf it falls in (and its
parents): a leaf of 128 entries of ~100 bytes is about 13 KiB (at most 384 entries, ~40 KiB), an inner
node at most 128 children (~14 KiB), so one change writes well under 64 KiB whatever the folder's size.

The version's digest does not depend on how its manifest is stored: a hash over a header and the
sorted ``path:digest`` lines (as W&B's manifest digest is), so deduplication, ``diff`` and
``find_by_content`` see a tree manifest exactly as a flat one, and manifests written before trees
read as they always did.
"""

from __future__ import annotations

import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping

from .errors import IntegrityError, InvalidSpecError, NotFoundError
from .store.blobs import BlobStore
from .store.hashing import blake3

MANIFEST_FORMAT = "nb_registry.manifest/1"
TREE_FORMAT = "nb_registry.manifest/2"
NODE_FORMAT = "nb_registry.manifest-node/2"
TREE_FROM = 256  # more entries than this: a tree (a flat manifest of ~100-byte entries stays under ~28 KiB)
LEAF_SPLIT, LEAF_MAX = 128, 384
INNER_SPLIT, INNER_MAX = 32, 128
Entries = dict[str, dict[str, Any]]


def manifest_digest(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """The version digest: a hash over a header and sorted ``path:digest`` lines."""
    h = blake3(f"{MANIFEST_FORMAT}\n".encode())
    h.update("".join(f"{name}:{entries[name]['digest']}\n" for name in sorted(entries)).encode())
    return h.hexdigest()


def _json(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def encode(entries: Mapping[str, Mapping[str, Any]]) -> bytes:
    """A flat manifest (format 1)."""
    return _json({"format": MANIFEST_FORMAT, "entries": entries})


def _cuts(keys: list[str], split: int, most: int) -> list[tuple[int, int]]:
    """[start, end) runs of ``keys``: a run ends after a key whose CRC-32 hits, or at ``most`` keys."""
    runs, start = [], 0
    for i, key in enumerate(keys):
        if zlib.crc32(key.encode("utf-8", "surrogatepass")) % split == split - 1 or i + 1 - start >= most:
            runs.append((start, i + 1))
            start = i + 1
    if start < len(keys):
        runs.append((start, len(keys)))
    return runs


def build_tree(entries: Mapping[str, Mapping[str, Any]]) -> tuple[bytes, list[bytes]]:
    """(root, nodes) of a tree manifest, each node the bytes of one blob."""
    names = sorted(entries)
    nodes: list[bytes] = []
    level: list[list[Any]] = []  # [first name, digest, files] for each node of the level being built
    for a, b in _cuts(names, LEAF_SPLIT, LEAF_MAX):
        data = _json({"format": NODE_FORMAT, "entries": {n: entries[n] for n in names[a:b]}})
        nodes.append(data)
        level.append([names[a], blake3(data).hexdigest(), b - a])
    while len(level) > INNER_MAX:
        up = []
        for a, b in _cuts([c[0] for c in level], INNER_SPLIT, INNER_MAX):
            data = _json({"format": NODE_FORMAT, "children": level[a:b]})
            nodes.append(data)
            up.append([level[a][0], blake3(data).hexdigest(), sum(c[2] for c in level[a:b])])
        level = up
    return _json({"format": TREE_FORMAT, "files": len(names), "children": level}), nodes


class Manifests:
    """Reads manifests (flat or trees) from a blob store, verified, and keeps them (they never change)."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs
        self._cache: dict[str, Entries] = {}
        self._nodes: dict[str, dict[str, Any]] = {}  # tree nodes read by this process
        self._stored: set[str] = set()  # tree nodes read or written by this process
        self._trees: dict[str, list[str]] = {}  # tree root -> its nodes

    def store(self, entries: Entries, again: bool = False) -> tuple[str, int]:
        """Write a version's manifest; return (its digest, new bytes written). Nodes this process read or wrote
        are taken as stored, unless ``again`` (after a gc ran: it may have removed them)."""
        if len(entries) <= TREE_FROM:
            data = encode(entries)
            digest, new = self.blobs.put_bytes(data)
            return digest, len(data) if new else 0
        root, nodes = build_tree(entries)
        names = [blake3(data).hexdigest() for data in nodes]
        todo = [data for name, data in zip(names, nodes) if again or name not in self._stored]
        if self.blobs.is_local or len(todo) < 2:
            done = [self.blobs.put_bytes(data) for data in todo]
        else:  # an object store: a request or two per node, so many at once
            with ThreadPoolExecutor(max_workers=min(16, len(todo))) as pool:
                done = list(pool.map(self.blobs.put_bytes, todo))
        written = sum(len(data) for data, (_, new) in zip(todo, done) if new)
        self._stored.update(names)
        digest, new = self.blobs.put_bytes(root)  # last: the root names only nodes that are stored
        self._cache[digest] = dict(entries)
        self._trees[digest] = names
        return digest, written + (len(root) if new else 0)

    def _read(self, digest: str, what: str) -> dict[str, Any]:
        try:
            data = json.loads(self.blobs.read_verified(digest))
        except NotFoundError:  # the version is listed, so its manifest must exist: the store is damaged
            raise IntegrityError(f"the {what} {digest} of a logged version is missing from "
                                 f"{self.blobs.url}; restore it from a backup of the blobs folder") from None
        except ValueError:
            raise IntegrityError(f"the {what} {digest} in {self.blobs.url} is not JSON") from None
        if not isinstance(data, dict):
            raise InvalidSpecError(f"manifest {digest} has unknown format {type(data).__name__!r}")
        return data

    def _node(self, digest: str) -> dict[str, Any]:
        node = self._nodes.get(digest)
        if node is None:
            node = self._read(digest, "manifest node (part of a file list)")
            if node.get("format") != NODE_FORMAT or not isinstance(node.get("entries", node.get("children")), (dict, list)):
                raise InvalidSpecError(f"manifest node {digest} has unknown format {node.get('format')!r}")
            self._nodes[digest] = node
            self._stored.add(digest)
        return node

    def _children(self, data: Mapping[str, Any], digest: str) -> list[str]:
        kids = data.get("children")
        if not isinstance(kids, list) or not all(isinstance(c, list) and len(c) == 3 for c in kids):
            raise IntegrityError(f"the manifest node {digest} in {self.blobs.url} is damaged: bad children")
        return [str(c[1]) for c in kids]

    def _walk(self, root: str, data: Mapping[str, Any]) -> tuple[list[str], Entries]:
        """Every node below a tree root, and the entries of its leaves. Nodes of a level are read in parallel."""
        seen, entries = [], {}
        level = self._children(data, root)
        workers = 1 if self.blobs.is_local else 16
        while level:
            seen += level
            if workers > 1 and len(level) > 1:
                with ThreadPoolExecutor(max_workers=min(workers, len(level))) as pool:
                    nodes = list(pool.map(self._node, level))
            else:
                nodes = [self._node(d) for d in level]
            nxt = []
            for d, node in zip(level, nodes):
                if "entries" in node:
                    entries.update(node["entries"])
                else:
                    nxt += self._children(node, d)
            level = nxt
        return seen, entries

    def load(self, digest: str) -> Entries:
        m = self._cache.get(digest)
        if m is None:
            data = self._read(digest, "manifest (file list)")
            fmt = data.get("format")
            if fmt == MANIFEST_FORMAT and isinstance(data.get("entries"), dict):
                m = data["entries"]
            elif fmt == TREE_FORMAT:
                self._trees[digest], m = self._walk(digest, data)
                if len(m) != data.get("files"):
                    raise IntegrityError(f"the manifest {digest} in {self.blobs.url} is damaged: it lists {len(m)} "
                                         f"files, its root says {data.get('files')}")
            else:
                raise InvalidSpecError(f"manifest {digest} has unknown format {fmt!r}")
            self._cache[digest] = m
        return m

    def objects(self, digest: str) -> list[str]:
        """Every blob a version's manifest is made of: its root and, for a tree, every node."""
        self.load(digest)
        return [digest, *self._trees.get(digest, ())]

    def remember(self, digest: str, entries: Entries) -> None:
        self._cache[digest] = entries

    def forget(self) -> None:
        self._cache.clear()
        self._nodes.clear()
        self._stored.clear()
        self._trees.clear()
