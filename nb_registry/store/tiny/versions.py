"""Collections, versions and aliases in TinyDB shards (the first part of :class:`TinyDBStore`)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from tinydb import Query
from tinydb.table import Document

from ...errors import InvalidSpecError, NotFoundError
from ...query import paths_of, query
from ..interface import StaleGeneration, check_selector
from ..records import AliasEvent, Collection, CollectionInfo, Committed, Removed, Version, move_aliases, version_id
from ..shards import Shards, Tx
from . import heads, layout

Q = Query()


def _event(alias: str, before: int | None, after: int | None, by: str, at: str) -> dict[str, Any]:
    return {"alias": alias, "from": before, "to": after, "by": by, "at": at}


class VersionsMixin:
    shards: Shards
    _now: Any

    # -- helpers -----------------------------------------------------------------------------
    def _head_or_missing(self, project: str, name: str, src: Any = None) -> dict[str, Any]:
        data = (src or self.shards).peek(layout.head(project, name))
        c = heads.coll(data)
        if c is None or (src is None and not c["next"] and not (data or {}).get("versions")):  # an empty fenced head
            known = [c.name for c in self.collections(project)]
            hint = f"; artifacts in project {project!r}: {', '.join(known)}" if known else f"; project {project!r} has no artifacts"
            raise NotFoundError(f"no artifact named {name!r} in project {project!r}{hint}")
        return data  # type: ignore[return-value]

    def _version(self, src: Any, doc: dict[str, Any], c: dict[str, Any], latest: int | None) -> Version:
        n = doc["version"]
        names = sorted(a for a, v in c["aliases"].items() if v == n)
        return Version.from_doc(doc, tuple(["latest", *names] if n == latest else names))

    def _gc_state(self, src: Any) -> dict[str, Any]:
        reg = src.peek(layout.REGISTRY) or {}
        return dict(reg.get("gc", {}).get("1") or {"generation": 0})

    def _check_generation(self, tx: Tx, gc_generation: int, fence: int = 0) -> None:
        state = self._gc_state(tx)
        current = int(state.get("generation", 0))
        if state.get("running"):
            if self._gc_is_stale(state):  # type: ignore[attr-defined]
                tx.after.append(self._take_over_dead_gc)  # type: ignore[attr-defined]
            raise StaleGeneration(max(current, fence), running=True)
        if current != gc_generation or fence > gc_generation:
            raise StaleGeneration(max(current, fence))

    # -- committing ---------------------------------------------------------------------------
    def commit_version(self, version: Version, aliases: Sequence[str], *, by: str,
                       content: Sequence[tuple[str, str]] = (), gc_generation: int) -> Committed:
        p, n = version.project, version.name
        aliases = list(dict.fromkeys(aliases))
        for a in aliases:
            _movable(a)

        def commit(tx: Tx) -> Committed:
            rel = layout.head(p, n)
            c = heads.coll(tx.peek(rel))
            self._check_generation(tx, gc_generation, int(c["gc_fence"]) if c else 0)
            if c is None:
                self._register(tx, p, n, version.type, version.created_at)
                tx.table(rel, "collection").insert(Document(
                    {**heads.FRESH, "project": p, "name": n, "type": version.type, "created_at": version.created_at,
                     "gc_fence": gc_generation}, doc_id=1))
                c = heads.coll(tx.peek(rel))
            elif c["type"] != version.type:
                raise InvalidSpecError(f"collection {p}/{n} holds artifacts of type {c['type']!r}, not {version.type!r}; "
                                       "use another name or the same type")
            assert c is not None
            existing = self._find_digest(tx, p, n, version.digest, version.type)
            if existing is None:
                heads.seal_if_full(tx, p, n)  # the chunk is written before the head that drops its versions
                number = int(c["next"])
                for dep in version.deps:
                    self._pin(tx, dep, ref=version_id(p, n, number))
                doc = {**version.to_doc(), "version": number}
                tx.append(layout.CONTENT, [f"{d}\t{version_id(p, n, number)}\t{e}" for d, e in content])
                tx.table(rel, "versions").insert(Document(doc, doc_id=number + 1))
                heads.set_coll(tx, p, n, next=number + 1, gc_fence=max(gc_generation, int(c["gc_fence"])))
            else:
                doc = existing
            moved = self._move(tx, p, n, doc["version"], aliases, by)
            data = tx.peek(rel)
            c = heads.coll(data)
            latest = heads.latest(tx, p, n, data)
            return Committed(self._version(tx, doc, c, latest), existing is None, tuple(moved))  # type: ignore[arg-type]

        return self.shards.transact(commit)

    def _register(self, tx: Tx, project: str, name: str, type_: str, created_at: str) -> None:
        """List a new collection in registry.json (before its head exists: listings never miss a version)."""
        table = tx.table(layout.REGISTRY, "collections")
        if not table.search((Q.project == project) & (Q.name == name)):
            table.insert({"project": project, "name": name, "type": type_, "created_at": created_at})

    def _find_digest(self, tx: Tx, p: str, n: str, digest: str, type_: str) -> dict[str, Any] | None:
        """A live version of the collection with this digest and type. Sealed chunks are searched through
        cached copies (they change only when retention removes a version), and a hit is checked fresh."""
        data = tx.peek(layout.head(p, n))
        c = heads.coll(data)
        if c is None:
            return None
        hidden = set(heads.tombstones(data))
        for doc in data.get("versions", {}).values():  # type: ignore[union-attr]
            if doc["digest"] == digest and doc["type"] == type_ and str(doc["version"] + 1) not in hidden:
                return doc  # type: ignore[no-any-return]
        for ch in reversed(c["chunks"]):
            found = self._chunk_digests(layout.chunk(p, n, ch["k"])).get((digest, type_))
            if found is not None:
                doc = heads.get_doc(tx, p, n, found, data)
                if doc is not None and doc["digest"] == digest:
                    return doc
        return None

    def _chunk_digests(self, rel: str) -> dict[tuple[str, str], int]:
        """(digest, type) -> version of a sealed chunk, read once per process: a sealed chunk only ever loses
        versions (to retention), so a kept map can hold a removed version (every hit is checked fresh) but
        never miss one."""
        found = self._digest_maps.get(rel)
        if found is None:
            data = self.shards.cached(rel) or {}
            found = self._digest_maps[rel] = {(d["digest"], d["type"]): d["version"] for d in data.get("versions", {}).values()}
        return found

    def _move(self, tx: Tx, p: str, n: str, version: int, aliases: Sequence[str], by: str) -> list[AliasEvent]:
        rel = layout.head(p, n)
        c = heads.coll(tx.peek(rel))
        assert c is not None
        current, events = move_aliases(c["aliases"], version, aliases, by, self._now())
        if events:
            heads.archive_history_if_long(tx, p, n)
            first = heads.next_event_id(tx.peek(rel))
            tx.table(rel, "alias_history").insert_multiple(Document(e.to_dict(), doc_id=first + i) for i, e in enumerate(events))
            heads.set_coll(tx, p, n, aliases=current)
        return events

    def _pin(self, tx: Tx, vid: str, why: str = "", ref: str | None = None) -> None:
        """Mark a version as one retention keeps, and check it exists: for good (``why``: it is linked, or was
        used by a run) or while the version ``ref`` that depends on it lives."""
        p, n, number = _split(vid)
        data = tx.peek(layout.head(p, n))
        if heads.get_doc(tx, p, n, number, data) is None:
            raise NotFoundError(f"{vid} does not exist (removed, or never logged)")
        c = heads.coll(data)
        assert c is not None
        pin = heads.pin_of(c, number)
        wanted = {"keep": pin["keep"] or (why or None), "refs": sorted({*pin["refs"], *([ref] if ref else [])})}
        if wanted != pin:
            heads.set_coll(tx, p, n, pins={**c["pins"], str(number): wanted})
        elif not self.files.has_lock:  # type: ignore[attr-defined]
            heads.set_coll(tx, p, n, pins=dict(c["pins"]))  # rewrite: its conditional PUT proves the version still exists

    def _protection(self, tx: Tx, c: dict[str, Any], k: int) -> str | None:
        """Why version ``k`` must stay (a pin for good, or a dependent version that still lives), or None."""
        pin = heads.pin_of(c, k)
        if pin["keep"]:
            return str(pin["keep"])
        for ref in pin["refs"]:
            rp, rn, rk = _split(ref)
            if heads.get_doc(tx, rp, rn, rk) is not None:
                return f"referenced by {ref}"
        return None

    # -- reading ------------------------------------------------------------------------------
    def collection(self, project: str, name: str) -> Collection:
        data = self._head_or_missing(project, name)
        c = heads.coll(data)
        assert c is not None
        return Collection(project, name, c["type"], c["created_at"], dict(c["aliases"]),
                          heads.latest(self.shards, project, name, data), heads.count(self.shards, project, name, data),
                          c.get("retention"))

    def collections(self, project: str | None = None, type: str | None = None) -> list[CollectionInfo]:
        reg = self.shards.read(layout.REGISTRY) or {}
        rows = [r for r in reg.get("collections", {}).values()
                if (project is None or r["project"] == project) and (type is None or r["type"] == type)]
        # A collection is listed before its head is written; a writer killed in between leaves a row with no
        # head: it is hidden (the next log of that name fills it). One directory listing per project.
        heads_in = {p: set(self.shards.listdir(f"collections/{p}")) for p in {r["project"] for r in rows}}
        return sorted((CollectionInfo(r["project"], r["name"], r["type"], r.get("created_at", ""))
                       for r in rows if f"{r['name']}.json" in heads_in[r["project"]]),
                      key=lambda c: (c.project, c.name))

    def projects(self) -> list[str]:
        return sorted({c.project for c in self.collections()} | set(self.shards.listdir("runs")))

    def get_version(self, project: str, name: str, selector: "str | int") -> Version:
        check_selector(selector)
        data = self._head_or_missing(project, name)
        c = heads.coll(data)
        assert c is not None
        latest = heads.latest(self.shards, project, name, data)
        if isinstance(selector, int):
            n: int | None = selector
        elif selector == "latest":
            n = latest
        elif selector in c["aliases"]:
            n = c["aliases"][selector]
        else:
            names = ["latest", *sorted(c["aliases"])]
            raise NotFoundError(f"{project}/{name} has no alias {selector!r}; aliases: {', '.join(names)}")
        doc = heads.get_doc(self.shards, project, name, n, data) if n is not None else None
        if doc is None:
            have = [f"v{d['version']}" for d in heads.iter_docs(self.shards, project, name, data)][-10:]
            raise NotFoundError(f"{project}/{name} has no version v{n}; versions: {', '.join(have)}")
        return self._version(self.shards, doc, c, latest)

    def versions(self, project: str, name: str, filters: Mapping[str, Any] | None = None,
                 order: "str | Sequence[str] | None" = None, limit: int | None = None) -> list[Version]:
        data = self._head_or_missing(project, name)
        c = heads.coll(data)
        assert c is not None
        latest = heads.latest(self.shards, project, name, data)

        def aliases(n: int) -> list[str]:
            names = sorted(a for a, v in c["aliases"].items() if v == n)  # type: ignore[index]
            return ["latest", *names] if n == latest else names

        docs = list(heads.iter_docs(self.shards, project, name, data))  # in version order
        if not filters and order in (None, "version", ["version"]):
            picked = docs[:limit] if limit is not None else docs
        elif "aliases" in paths_of(filters, order):
            rows = [dict(d, aliases=aliases(d["version"])) for d in docs]
            picked = query(rows, filters, order or "version", limit)
        else:  # the stored documents as they are: nothing copied for 50,000 versions
            picked = query(docs, filters, order, limit)
        return [Version.from_doc(d, tuple(aliases(d["version"]))) for d in picked]

    # -- aliases ------------------------------------------------------------------------------
    def move_alias(self, project: str, name: str, alias: str, version: int, *, by: str) -> AliasEvent | None:
        _movable(alias)

        def move(tx: Tx) -> AliasEvent | None:
            data = self._head_or_missing(project, name, tx)
            if heads.get_doc(tx, project, name, version, data) is None:
                have = [f"v{d['version']}" for d in heads.iter_docs(tx, project, name, data)][-10:]
                raise NotFoundError(f"{project}/{name} has no version v{version} (removed, or never logged); versions: "
                                    f"{', '.join(have) or '(none)'}; alias {alias!r} not moved")
            events = self._move(tx, project, name, version, [alias], by)
            return events[0] if events else None

        return self.shards.transact(move)

    def remove_alias(self, project: str, name: str, alias: str, *, by: str, version: int | None = None) -> AliasEvent:
        _movable(alias)

        def drop(tx: Tx) -> AliasEvent:
            c = heads.coll(self._head_or_missing(project, name, tx))
            assert c is not None
            if alias not in c["aliases"]:
                raise NotFoundError(f"{project}/{name} has no alias {alias!r}; aliases: "
                                    f"{', '.join(['latest', *sorted(c['aliases'])])}")
            holder = c["aliases"][alias]
            if version is not None and holder != version:
                raise InvalidSpecError(f"{project}/{name}:v{version} does not hold alias {alias!r} (it is on "
                                       f"{project}/{name}:v{holder}); nothing removed")
            return self._drop(tx, project, name, alias, by)

        return self.shards.transact(drop)

    def _drop(self, tx: Tx, p: str, n: str, alias: str, by: str) -> AliasEvent:
        rel = layout.head(p, n)
        c = heads.coll(tx.peek(rel))
        assert c is not None
        aliases = dict(c["aliases"])
        before = aliases.pop(alias)
        event = _event(alias, before, None, by, self._now())
        heads.archive_history_if_long(tx, p, n)
        tx.table(rel, "alias_history").insert(Document(event, doc_id=heads.next_event_id(tx.peek(rel))))
        heads.set_coll(tx, p, n, aliases=aliases)
        return AliasEvent.from_dict(event)

    def alias_history(self, project: str, name: str) -> list[AliasEvent]:
        data = self._head_or_missing(project, name)
        return [AliasEvent.from_dict(e) for e in heads.history(self.shards, project, name, data)]

    def update_version(self, project: str, name: str, version: int, *, description: str | None,
                       metadata: Mapping[str, Any], aliases: Sequence[str], by: str) -> Version:
        wanted = [a for a in dict.fromkeys(aliases) if a != "latest"]

        def edit(tx: Tx) -> Version:
            rel = layout.head(project, name)
            data = self._head_or_missing(project, name, tx)
            doc = heads.get_doc(tx, project, name, version, data)
            if doc is None:
                raise NotFoundError(f"{project}/{name} has no version v{version}; nothing saved")
            changed = {"description": description, "metadata": dict(metadata)}
            if str(version + 1) in data.get("versions", {}):
                tx.table(rel, "versions").update(changed, doc_ids=[version + 1])
            else:
                k = layout.find_chunk(heads.coll(data)["chunks"], version)  # type: ignore[index]
                tx.table(layout.chunk(project, name, k), "versions").update(changed, doc_ids=[version + 1])  # type: ignore[arg-type]
                heads.set_coll(tx, project, name)  # the head is written last: its write is the commit on object stores
            c = heads.coll(tx.peek(rel))
            for a in [a for a, v in c["aliases"].items() if v == version and a not in wanted]:  # type: ignore[union-attr]
                self._drop(tx, project, name, a, by)
            self._move(tx, project, name, version, wanted, by)
            data = tx.peek(rel)
            return self._version(tx, {**doc, **changed}, heads.coll(data), heads.latest(tx, project, name, data))  # type: ignore[arg-type]

        return self.shards.transact(edit)

    # -- retention ----------------------------------------------------------------------------
    def set_retention(self, project: str, name: str, policy: Mapping[str, Any] | None) -> None:
        def put(tx: Tx) -> None:
            self._head_or_missing(project, name, tx)
            heads.set_coll(tx, project, name, retention=dict(policy) if policy else None)

        self.shards.transact(put)

    def removed_versions(self, project: str, name: str) -> list[Removed]:
        data = self._head_or_missing(project, name)
        c = heads.coll(data)
        assert c is not None
        stones = dict(heads.tombstones(data))
        for ch in c["chunks"]:
            stones.update((self.shards.peek(layout.chunk(project, name, ch["k"])) or {}).get("removed", {}))
        return [Removed(version_id(project, name, int(k) - 1), True, "", t.get("digest"), t.get("size"))
                for k, t in sorted(stones.items(), key=lambda kv: int(kv[0]))]

    def delete_versions(self, ids: Sequence[str], *, by: str) -> list[Removed]:
        by_coll: dict[tuple[str, str], list[int]] = {}
        for vid in ids:  # every id checked before anything is written
            p, n, number = _split(vid)
            by_coll.setdefault((p, n), []).append(number)
        self._upgrade_pins()  # type: ignore[attr-defined]
        out: list[Removed] = []
        for (p, n), numbers in by_coll.items():
            out.extend(self.shards.transact(lambda tx, p=p, n=n, numbers=numbers: self._remove(tx, p, n, numbers, by)))
            self.shards.transact(lambda tx, p=p, n=n: heads.finish_removals(tx, p, n))
        return out

    def delete_version(self, project: str, name: str, version: int, *, by: str, delete_aliases: bool = False) -> Removed:
        self._upgrade_pins()  # type: ignore[attr-defined]

        def remove(tx: Tx) -> Removed:
            data = self._head_or_missing(project, name, tx)
            if heads.get_doc(tx, project, name, version, data) is None:
                have = [f"v{d['version']}" for d in heads.iter_docs(tx, project, name, data)][-10:]
                raise NotFoundError(f"{project}/{name} has no version v{version}; versions: {', '.join(have) or '(none)'}")
            return self._remove(tx, project, name, [version], by, user=True, drop_aliases=delete_aliases)[0]

        done = self.shards.transact(remove)
        if done.removed:
            self.shards.transact(lambda tx: heads.finish_removals(tx, project, name))
        return done

    def _remove(self, tx: Tx, p: str, n: str, numbers: list[int], by: str, user: bool = False,
                drop_aliases: bool = False) -> list[Removed]:
        """Retention's removal; ``user`` is a user's own delete (the newest may go, and with ``drop_aliases``
        its aliases go with it)."""
        rel = layout.head(p, n)
        data = tx.peek(rel)
        c = heads.coll(data)
        if c is None:
            return [Removed(version_id(p, n, k), False, "no such collection") for k in numbers]
        latest = heads.latest(tx, p, n, data)
        out, stones = [], []
        for k in numbers:
            vid = version_id(p, n, k)
            doc = heads.get_doc(tx, p, n, k, data)
            held = sorted(a for a, v in c["aliases"].items() if v == k)
            why = ("does not exist" if doc is None else "is the newest version" if k == latest and not user
                   else None if drop_aliases or not held else f"holds alias {held[0]!r}") \
                or self._protection(tx, c, k)
            if why:
                out.append(Removed(vid, False, why))
                continue
            for a in held if drop_aliases else ():
                self._drop(tx, p, n, a, by)
                data = tx.peek(rel)
            in_head = str(k + 1) in data.get("versions", {})  # type: ignore[union-attr]
            stones.append(Document({"version": k, "digest": doc["digest"], "size": doc.get("size"), "at": self._now(), "by": by,  # type: ignore[index]
                                    **({} if in_head else {"in_chunk": True})}, doc_id=k + 1))
            if in_head:
                tx.table(rel, "versions").remove(doc_ids=[k + 1])
            out.append(Removed(vid, True, "", doc["digest"], doc.get("size")))  # type: ignore[index]
        if stones:
            tx.table(rel, "removed").insert_multiple(stones)
        return out


def _movable(alias: str) -> None:
    from ...names import check_movable_alias

    check_movable_alias(alias)


def _split(vid: str) -> tuple[str, str, int]:
    from ...names import split_version_id

    return split_version_id(vid)
