"""The PostgreSQL metadata store, measured at the store level (``PostgresStore``), on a throwaway cluster.

    bash scripts/with_postgres.sh --durable .venv/bin/python bench/bench_postgres_store.py
    bash scripts/with_postgres.sh --durable .venv/bin/python bench/bench_postgres_store.py --versions 1000   # quick

``--durable`` keeps PostgreSQL's defaults (fsync and synchronous_commit on): every commit waits for
its WAL flush, as on a real server. The bench makes a database of its own on the server in
``NB_REGISTRY_TEST_PG`` and drops it at the end. Figures (medians):

  commit one version at 100 / at N     ``commit_version`` of a small new version (one alias) into a
                                       collection already holding that many. Reference: a bare
                                       ``INSERT ...; COMMIT`` round trip on the same server (psycopg,
                                       no SQLAlchemy): the least a durable write costs there.
  get_version by alias, warm           in a process that has resolved before. Reference: ``SELECT 1``.
  cold process: open + get by alias    a new process: import, connect, check the schema, resolve.
                                       Reference: ``python -c pass`` and a new process doing a bare
                                       ``psycopg.connect(...).execute("SELECT 1")``.
  throughput, W writers                W processes committing for ``--seconds`` each, after a common
                                       start (each its own collection; then all into one collection).
                                       Reference: W processes doing bare INSERT + COMMIT round trips;
                                       for one collection, each also updating one shared counter row
                                       (a gapless number costs that serialization on any design).
                                       Target: 16 writers not below 1 writer.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import uuid
from typing import Any

from common import Table, header, median, parser, run_python, step, use_child_env

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

PROJECT = "bench"


def _store(url: str) -> Any:
    from nb_registry.store.postgres import PostgresStore

    return PostgresStore(url)


def _version(name: str, tag: str) -> Any:
    from nb_registry.store.records import Version

    return Version(PROJECT, name, 0, "model", f"d-{tag}-{uuid.uuid4().hex}", "m" * 64, size=200, files=1,
                   metadata={"acc": 0.5, "step": 1}, created_at="2026-01-01T00:00:00+00:00", created_by="bench")


def _commit(store: Any, name: str, tag: str, aliases: tuple[str, ...] = ("best",)) -> Any:
    return store.commit_version(_version(name, tag), list(aliases), by="bench", gc_generation=store.gc_generation())


def _admin(admin: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def _db_url(admin: str, name: str) -> str:
    base, _, query = admin.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")


# -- references --------------------------------------------------------------------------------
def bare_insert_commit(url: str, n: int) -> list[float]:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_ref (id bigint GENERATED ALWAYS AS IDENTITY, v text)")
        conn.commit()
        out = []
        for _ in range(n):
            t = time.perf_counter()
            conn.execute("INSERT INTO bench_ref (v) VALUES (%s)", ("x" * 200,))
            conn.commit()
            out.append(time.perf_counter() - t)
        return out


def bare_select(url: str, n: int) -> list[float]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        out = []
        for _ in range(n):
            t = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            out.append(time.perf_counter() - t)
        return out


# -- concurrent writers ------------------------------------------------------------------------
def _writer(url: str, kind: str, index: int, seconds: float, barrier: Any, results: Any) -> None:
    if kind in ("bare", "counter"):
        import psycopg

        conn = psycopg.connect(url)
        barrier.wait(120)
        n, end = 0, time.time() + seconds
        while time.time() < end:
            if kind == "counter":  # a gapless number: one row locked through the commit, as one collection's is
                conn.execute("UPDATE bench_counter SET n = n + 1 WHERE id = 1")
            conn.execute("INSERT INTO bench_ref (v) VALUES (%s)", ("x" * 200,))
            conn.commit()
            n += 1
        conn.close()
    else:
        store = _store(url)
        name = f"w{index:02d}" if kind == "own" else "shared"
        barrier.wait(120)
        n, end = 0, time.time() + seconds
        while time.time() < end:
            _commit(store, name, f"{index}-{n}", aliases=(f"w{index}",))
            n += 1
        store.close()
    results.put(n)


def throughput(url: str, kind: str, writers: int, seconds: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, kind, i, seconds, barrier, results)) for i in range(writers)]
    for p in procs:
        p.start()
    barrier.wait(120)
    t = time.perf_counter()
    total = sum(results.get(timeout=seconds + 120) for _ in procs)
    wall = time.perf_counter() - t
    for p in procs:
        p.join()
    return total / wall


def main() -> None:
    p = parser(__doc__.splitlines()[0], repeat=5)
    p.add_argument("--versions", type=int, default=10_000, help="versions in the big collection (default %(default)s)")
    p.add_argument("--seconds", type=float, default=4.0, help="how long each writer runs in the throughput runs")
    p.add_argument("--samples", type=int, default=200, help="timed operations per median (default %(default)s)")
    p.add_argument("--only-throughput", action="store_true", help="measure the concurrent writers only")
    args = p.parse_args()
    admin = os.environ.get("NB_REGISTRY_TEST_PG")
    if not admin:
        sys.exit("NB_REGISTRY_TEST_PG is not set: run this under `bash scripts/with_postgres.sh --durable ...`")
    header("PostgresStore at the store level", args)
    use_child_env(args.dir)
    name = f"nbr_bench_{uuid.uuid4().hex[:8]}"
    _admin(admin, f"CREATE DATABASE {name}")
    url = _db_url(admin, name)
    table = Table()
    try:
        _run(url, args, table)
    finally:
        _admin(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    table.print()


def _run(url: str, args: Any, table: Table) -> None:
    if not args.only_throughput:
        _latency(url, args, table)
    _throughput(url, args, table)


def _latency(url: str, args: Any, table: Table) -> None:
    store = _store(url)
    ref_commit = median(bare_insert_commit(url, args.samples))
    ref_select = median(bare_select(url, args.samples))
    with step("100 versions"):
        for i in range(100):
            _commit(store, "big", str(i), aliases=(f"a{i}",) if i % 100 == 0 else ())
    at_100 = median([_timed(lambda i=i: _commit(store, "small", str(i))) for i in range(args.samples)])
    with step(f"building {args.versions:,} versions in one collection"):
        for i in range(100, args.versions):
            _commit(store, "big", str(i), aliases=(f"a{i // 100}",) if i % 100 == 0 else ())
    at_n = median([_timed(lambda i=i: _commit(store, "big", f"more{i}")) for i in range(args.samples)])
    ref_commit = min(ref_commit, median(bare_insert_commit(url, args.samples)))
    table.add("commit one version, collection of 100", at_100, "bare INSERT+COMMIT", ref_commit)
    table.add(f"commit one version, collection of {args.versions:,}", at_n, "bare INSERT+COMMIT", ref_commit,
              target="<= 10 ms", ok=at_n <= 0.010)
    table.add(f"growth 100 -> {args.versions:,}", f"{at_n / at_100:.2f}x", target="<= 2x", ok=at_n / at_100 <= 2)

    alias = f"a{args.versions // 200}"
    for _ in range(20):
        store.get_version(PROJECT, "big", alias)
    warm = median([_timed(lambda: store.get_version(PROJECT, "big", alias)) for _ in range(args.samples)])
    ref_select = min(ref_select, median(bare_select(url, args.samples)))
    table.add(f"get_version by alias, warm ({args.versions:,} versions)", warm, "SELECT 1", ref_select,
              target="<= 1 ms", ok=warm <= 0.001)
    store.close()

    env = dict(use_child_env(args.dir), NBR_BENCH_URL=url)
    cold = median(run_python("import os; from nb_registry.store.postgres import PostgresStore; "
                             f"PostgresStore(os.environ['NBR_BENCH_URL']).get_version({PROJECT!r}, 'big', {alias!r})",
                             repeat=args.repeat, env=env))
    bare = median(run_python("import os, psycopg; psycopg.connect(os.environ['NBR_BENCH_URL']).execute('SELECT 1')",
                             repeat=args.repeat, env=env))
    empty = median(run_python("pass", repeat=args.repeat, env=env))
    table.add("cold process: open + get_version by alias", cold, "python -c pass", empty, target="<= 0.3 s", ok=cold <= 0.3)
    table.add("  the same, against a bare psycopg connect + SELECT 1", cold, "psycopg process", bare)


def _throughput(url: str, args: Any, table: Table) -> None:
    import psycopg

    _store(url).close()  # the schema, when only the throughput runs
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_ref (id bigint GENERATED ALWAYS AS IDENTITY, v text)")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_counter (id int PRIMARY KEY, n bigint)")
        conn.execute("INSERT INTO bench_counter VALUES (1, 0) ON CONFLICT DO NOTHING")
    rates: dict[tuple[str, int], float] = {}
    for kind, label in (("own", "own collection each"), ("one", "one shared collection"), ("bare", "bare INSERT+COMMIT"),
                        ("counter", "bare locked counter + INSERT + COMMIT")):
        for writers in (1, 4, 16):
            with step(f"{writers} writer(s), {label}"):
                rates[kind, writers] = throughput(url, kind, writers, args.seconds)
            print(f"  {rates[kind, writers]:.0f} commits/s", flush=True)
    for kind, label, base in (("own", "own collection each", "bare"), ("one", "one shared collection", "counter")):
        for writers in (1, 4, 16):
            r, ref = rates[kind, writers], rates[base, writers]
            ok = None if writers == 1 else r >= rates[kind, 1]
            table.add(f"throughput, {writers} writers, {label}", f"{r:.0f}/s", f"{base} x{writers}", None,
                      ratio=r / ref, target="16 >= 1 writer" if writers == 16 else "", ok=ok if writers == 16 else None)
    table.note("bare INSERT+COMMIT throughput", ", ".join(f"{w}: {rates['bare', w]:.0f}/s" for w in (1, 4, 16)))
    table.note("bare locked counter throughput", ", ".join(f"{w}: {rates['counter', w]:.0f}/s" for w in (1, 4, 16)))


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
