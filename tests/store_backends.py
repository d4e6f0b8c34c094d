"""The metadata store backends the contract suite runs on, and the worker functions its racing
processes run (module-level, so that ``multiprocessing``'s spawn start method can import them).

A backend is described by a plain, picklable spec (``{"kind", "url", "options"}``) so that a child
process opens the very same store: ``open_backend(spec)``.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from typing import Any, Callable, Iterator

from nb_registry.errors import LockTimeoutError, NotFoundError
from nb_registry.store.interface import MetadataStore, StaleGeneration
from nb_registry.store.records import Version

BACKENDS = ("tinydb", "memory", "s3", "postgres")
SHARED = ("tinydb", "s3", "postgres")  # reachable from other processes (memory:// lives in one process)
STRESS = max(1, int(os.environ.get("NB_REGISTRY_STRESS", "1") or 1))  # scales process and operation counts


def open_backend(spec: dict[str, Any]) -> MetadataStore:
    if spec["kind"] == "postgres":
        from nb_registry.store.postgres import PostgresStore

        return PostgresStore(spec["url"])
    from nb_registry.store import open_metadata  # type: ignore[attr-defined]  # the lead's dispatcher

    return open_metadata(spec["url"], **spec.get("options", {}))


def make_spec(kind: str, request: Any) -> dict[str, Any]:
    """The spec of a fresh, empty store of ``kind`` for the test asking (fixtures taken lazily).

    The TinyDB kinds name a registry root, as ``open_metadata(root)`` takes it (it keeps the
    metadata under ``<root>/meta``)."""
    if kind == "postgres":
        return {"kind": kind, "url": request.getfixturevalue("pg_url")}
    if kind == "tinydb":
        return {"kind": kind, "url": str(request.getfixturevalue("tmp_path") / "registry")}
    if kind == "memory":
        request.getfixturevalue("memfs")
        return {"kind": kind, "url": "memory://contract"}
    if kind == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        return {"kind": kind, "url": f"s3://{bucket}/registry", "options": request.getfixturevalue("s3_options")}
    raise ValueError(kind)


def store_from(spec: dict[str, Any]) -> Iterator[MetadataStore]:
    store = open_backend(spec)
    try:
        yield store
    finally:
        store.close()


def version(name: str, digest: str, *, project: str = "p", type: str = "model", manifest: str | None = None,
            **fields: Any) -> Version:
    """A version draft (the store assigns the number)."""
    fields.setdefault("created_at", "2026-01-01T00:00:00+00:00")
    return Version(project=project, name=name, version=0, type=type, digest=digest, manifest=manifest or f"m-{digest}",
                   **fields)


def _child(barrier: Any, results: Any, index: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        results.put((index, "ok", fn(*args, start=lambda: barrier.wait(120))))
    except BaseException as e:  # reported to the test, which fails with it
        results.put((index, "error", f"{type(e).__name__}: {e}"))
        barrier.abort()


def _context() -> Any:
    """Fresh processes forked from a server that has imported the store backends once (spawn's
    clean state without paying the imports in every racing process)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["store_backends", "nb_registry.store.postgres", "nb_registry.store"])
    return ctx


def race(jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]], timeout: float = 180) -> list[Any]:
    """Run each ``fn(*args, start=...)`` in its own spawned process; all call ``start()`` once they
    have imported and connected, and go on together. The results, in the order of ``jobs``."""
    ctx = _context()
    barrier, results = ctx.Barrier(len(jobs)), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(barrier, results, i, fn, args)) for i, (fn, args) in enumerate(jobs)]
    for p in procs:
        p.start()
    out: dict[int, Any] = {}
    try:
        for _ in jobs:
            index, status, value = results.get(timeout=timeout)
            if status != "ok":
                raise AssertionError(f"racing process {index} ({jobs[index][0].__name__}) failed: {value}")
            out[index] = value
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    return [out[i] for i in range(len(jobs))]


# -- racing workers: each opens its own store, waits for a common start, races, reports ----------------
def commit_many(spec: dict[str, Any], worker: int, count: int, *, start: Callable[[], Any]) -> list[int]:
    store = open_backend(spec)
    try:
        start()
        out = []
        for i in range(count):
            for _ in range(50):  # a bucket backend may answer StaleGeneration only if gc runs: none here
                try:
                    c = store.commit_version(version("race", f"w{worker}-{i}"), [f"w{worker}"], by=f"w{worker}",
                                             gc_generation=store.gc_generation())
                    break
                except StaleGeneration:
                    continue
            out.append(c.version.version)
        return out
    finally:
        store.close()


def _for_a_while(seconds: float, act: Callable[[], Any], pause: float = 0.0) -> tuple[int, int]:
    """Call ``act`` repeatedly for ``seconds``: (calls that succeeded, calls refused with NotFoundError)."""
    done = refused = 0
    end = time.time() + seconds
    while time.time() < end:
        try:
            act()
            done += 1
        except NotFoundError:
            refused += 1
        if pause:
            time.sleep(pause)
    return done, refused


def move_aliases(spec: dict[str, Any], alias: str, numbers: list[int], seconds: float,
                 seed: int, *, start: Callable[[], Any]) -> tuple[int, int]:
    """Move ``alias`` to random versions for a while; (moves done, moves refused as missing)."""
    rng, store = random.Random(seed), open_backend(spec)
    try:
        start()
        return _for_a_while(seconds, lambda: store.move_alias("p", "pool", alias, rng.choice(numbers), by="mover"))
    finally:
        store.close()


def link_versions(spec: dict[str, Any], model: str, ids: list[str], seconds: float,
                  seed: int, *, start: Callable[[], Any]) -> tuple[int, int]:
    """Link random versions for a while, paced to leave the deleter turns on backends with one writer at a
    time; (links done, links refused as missing)."""
    rng, store = random.Random(seed), open_backend(spec)
    try:
        start()
        return _for_a_while(seconds, lambda: store.link(model, rng.choice(ids), aliases=["staging"], by="linker"),
                            pause=0.005)
    finally:
        store.close()


def delete_randomly(spec: dict[str, Any], ids: list[str], seconds: float, seed: int, *, start: Callable[[], Any]) -> list[str]:
    """Ask to delete random versions for a while; the ids reported removed."""
    rng, store = random.Random(seed), open_backend(spec)
    try:
        start()
        removed: list[str] = []
        end = time.time() + seconds
        while time.time() < end:
            batch = rng.sample(ids, min(3, len(ids)))
            removed += [r.id for r in store.delete_versions(batch, by="deleter") if r.removed]
            time.sleep(0.005)
        return removed
    finally:
        store.close()


def commit_with_blobs(spec: dict[str, Any], blob_dir: str, seconds: float, pool: int, seed: int, *,
                      start: Callable[[], Any]) -> tuple[int, int]:
    """A writer that stores (or deduplicates against) a blob file, then commits a version naming it,
    for ``seconds``. On StaleGeneration it stores the blob again and retries, as the domain does.
    Returns (commits, stale retries)."""
    rng, store = random.Random(seed), open_backend(spec)
    try:
        start()
        commits = stale = 0
        end = time.time() + seconds
        while time.time() < end:
            blob = f"b{rng.randrange(pool)}"
            generation = store.gc_generation()
            while True:
                path = os.path.join(blob_dir, blob)
                if not os.path.exists(path):  # deduplicate when it is there, else store it
                    with open(path + f".{os.getpid()}", "w") as f:
                        f.write(blob)
                    os.replace(path + f".{os.getpid()}", path)
                try:
                    store.commit_version(version("blobs", f"s{seed}-{commits}", manifest=blob), [], by="writer",
                                         gc_generation=generation)
                    break
                except StaleGeneration as e:
                    stale += 1
                    generation = e.current
            commits += 1
            time.sleep(0.002)
        return commits, stale
    finally:
        store.close()


def collect_loop(spec: dict[str, Any], blob_dir: str, seconds: float, log: str, *,
                 start: Callable[[], Any]) -> tuple[int, list[str]]:
    """Delete all but the newest few versions, then collect blob files no live version names; repeat.
    Logs each critical section's (start, end) to ``log``. Returns (blobs deleted, violations: blobs
    deleted while a committed version named them)."""
    store = open_backend(spec)

    def named() -> set[str]:
        try:
            return {v.manifest for v in store.versions("p", "blobs")}
        except NotFoundError:
            return set()

    try:
        start()
        deleted, violations, refused = 0, [], 0
        end = time.time() + seconds
        while time.time() < end:
            try:
                live = store.versions("p", "blobs")
            except NotFoundError:
                live = []
            store.delete_versions([v.id for v in live[:-2]], by="gc")

            def find_garbage() -> Iterator[str]:
                # a generator: collect() runs it to the end inside its critical section, so both
                # marks are written while this process holds it
                with open(log, "a") as f:
                    f.write(f"start {time.time()!r}\n")
                needed = named()
                time.sleep(0.03)  # writers store and commit in this window: the generation must stop them
                yield from [b for b in os.listdir(blob_dir) if "." not in b and b not in needed]
                with open(log, "a") as f:
                    f.write(f"end {time.time()!r}\n")

            def delete(blob: str) -> None:
                if blob in named():  # a commit landed inside the critical section: the bug this race looks for
                    violations.append(blob)
                os.remove(os.path.join(blob_dir, blob))

            try:
                deleted += len(store.collect(find_garbage, delete))
            except LockTimeoutError:  # the other collector holds it: refusing is as exclusive as waiting
                refused += 1
        return deleted, violations
    finally:
        store.close()


def open_and_report(spec: dict[str, Any], *, start: Callable[[], Any]) -> str:
    """Open a store (migrating the database if it is empty) at the same moment as the others."""
    start()
    store = open_backend(spec)
    try:
        store.gc_generation()
        return str(getattr(store, "revision", ""))
    finally:
        store.close()
