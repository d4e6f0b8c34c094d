"""A team's registry through the public API: PostgreSQL for the metadata, or a bucket with no lock.

    bash scripts/with_postgres.sh --durable .venv/bin/python bench/bench_team.py --backend postgres
    .venv/bin/python bench/bench_team.py --backend bucket --versions 500

postgres: the metadata in the throwaway cluster ``scripts/with_postgres.sh`` starts (``--durable``: every
commit waits for its WAL flush), blobs in a local folder. bucket: metadata and blobs on moto's S3 server on
127.0.0.1, started by this script in a process of its own (its conditional PUTs made atomic, as S3's are),
every metadata write a conditional PUT and a lost race retried (counted). Figures (medians), each against a
reference measured in the same run:
  log one more version      ``Artifact`` + ``new_file`` + ``Registry.log`` of a small version at N versions.
                            Reference: postgres, a bare ``INSERT ...; COMMIT`` round trip (psycopg alone);
                            bucket, one conditional PUT of a 4 KiB object.
  resolve name:alias        warm, and in a cold process. Reference: ``SELECT 1`` / one HEAD; ``python -c pass``.
  throughput                logs per second of 1, 4 and 16 writer processes, each into its own collection, then
                            all into one collection (numbers stay gapless, so these serialise), with the conflicts
                            lost and retried (bucket). Target: 16 writers do not fall below 1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid

from typing import Any

from common import Scratch, Table, header, median, parser, run_python, step, use_child_env

SERVER = """
import sys, threading
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

class Atomic:
    def __init__(self, app):
        self.app, self.lock = app, threading.Lock()
    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("PUT", "POST", "DELETE"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)

make_server("127.0.0.1", int(sys.argv[1]), Atomic(DomainDispatcherApplication(create_backend_app)), threaded=True,
            request_handler=MotoRequestHandler).serve_forever()
"""

WRITER = """
import json, sys, time
import fsspec.config
if sys.argv[3] != "-":
    fsspec.config.conf["s3"] = {"endpoint_url": sys.argv[3]}
from nb_registry import Artifact, Registry
root, blobs, coll = sys.argv[1], sys.argv[7], sys.argv[8]
reg = Registry(root, cache_dir=sys.argv[4], blobs=None if blobs == "-" else blobs)
n, me = int(sys.argv[2]), sys.argv[5]
while time.time() < float(sys.argv[6]):
    time.sleep(0.005)
t = time.perf_counter()
for i in range(n):
    art = Artifact(coll, type="model")
    with art.new_file("w.txt") as f:
        f.write(f"{me} {i}")
    reg.log(art, project="bench")
shards = getattr(reg.meta, "shards", None)
print(json.dumps({"seconds": time.perf_counter() - t, "conflicts": shards.conflicts if shards else 0}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bucket:
    """moto's S3 server in a process of its own; the registry's metadata and blobs on it."""

    name = "bucket"

    def __init__(self, env: dict[str, str]) -> None:
        for e in (os.environ, env):
            e.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stderr=subprocess.DEVNULL, env=env)
        import fsspec.config
        import s3fs

        fsspec.config.conf["s3"] = {"endpoint_url": self.endpoint}
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        self.fs = s3fs.S3FileSystem()
        self.fs.mkdir("bench")
        self.root, self.blobs = "s3://bench/reg", "-"
        self.ref_name, self.read_name = "conditional PUT of 4 KiB", "HEAD of an object"

    def references(self, n: int) -> tuple[list[float], list[float]]:
        self.fs.pipe_file("bench/ref", b"x" * 4096)
        writes, reads = [], []
        for _ in range(n):
            etag = self.fs.info("bench/ref")["ETag"]
            t = time.perf_counter()
            self.fs.pipe_file("bench/ref", uuid.uuid4().bytes * 256, IfMatch=etag)
            writes.append(time.perf_counter() - t)
            self.fs.invalidate_cache()
            t = time.perf_counter()
            self.fs.info("bench/ref")
            reads.append(time.perf_counter() - t)
        return writes, reads

    def cold_prefix(self) -> str:
        return f"import fsspec.config; fsspec.config.conf['s3'] = {{'endpoint_url': {self.endpoint!r}}}\n"

    def close(self) -> None:
        self.server.terminate()
        self.server.wait(30)


class Postgres:
    """A database of its own on the server in NB_REGISTRY_TEST_PG (scripts/with_postgres.sh); blobs in a folder."""

    name = "postgres"

    def __init__(self, env: dict[str, str], blobs: str) -> None:
        import psycopg

        admin = os.environ.get("NB_REGISTRY_TEST_PG")
        if not admin:
            raise SystemExit("NB_REGISTRY_TEST_PG is not set: run this under "
                             "bash scripts/with_postgres.sh --durable .venv/bin/python bench/bench_team.py --backend postgres")
        self.db = f"bench_team_{uuid.uuid4().hex[:8]}"
        self.admin = admin
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.db}")
        self.root = admin.rsplit("/", 1)[0] + "/" + self.db
        self.blobs = blobs
        self.endpoint = "-"
        self.ref_name, self.read_name = "INSERT + COMMIT round trip", "SELECT 1"

    def references(self, n: int) -> tuple[list[float], list[float]]:
        import psycopg

        writes, reads = [], []
        with psycopg.connect(self.root) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bench_ref (id bigserial PRIMARY KEY, v text)")
            conn.commit()
            for _ in range(n):
                t = time.perf_counter()
                conn.execute("INSERT INTO bench_ref (v) VALUES (%s)", (uuid.uuid4().hex,))
                conn.commit()
                writes.append(time.perf_counter() - t)
                t = time.perf_counter()
                conn.execute("SELECT 1").fetchone()
                conn.commit()
                reads.append(time.perf_counter() - t)
        return writes, reads

    def cold_prefix(self) -> str:
        return ""

    def close(self) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")


def throughput(backend: Any, sc: Any, env: dict[str, str], writers: int, per_writer: int, shared: bool) -> tuple[float, int]:
    start = time.time() + 3.0 + writers * 0.2
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, backend.root, str(per_writer), backend.endpoint,
                               sc.path(f"w{writers}-{shared}-{k}"), f"w{writers}-{k}", str(start), backend.blobs,
                               "shared" if shared else f"own-{writers}-{k}"], stdout=subprocess.PIPE, text=True, env=env)
             for k in range(writers)]
    outs = [json.loads(p.communicate(timeout=3600)[0]) for p in procs]
    wall = max(o["seconds"] for o in outs)
    return writers * per_writer / wall, sum(o["conflicts"] for o in outs)


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["postgres", "bucket"], default="postgres")
    p.add_argument("--versions", type=int, default=None, help="versions in the registry (default 10000; bucket 500)")
    p.add_argument("--samples", type=int, default=20, help="logs and resolves timed (default %(default)s)")
    p.add_argument("--per-writer", type=int, default=None, help="logs each concurrent writer makes (default 40; bucket 8)")
    args = p.parse_args()
    versions = args.versions or (10_000 if args.backend == "postgres" else 500)
    per_writer = args.per_writer or (40 if args.backend == "postgres" else 8)
    header(f"bench_team: a registry on {args.backend}, through the public API", args)
    env = use_child_env(args.dir)
    table = Table()
    with Scratch(args.dir, "team", args.keep) as sc:
        backend: Any = Bucket(env) if args.backend == "bucket" else Postgres(env, sc.path("blobs"))
        try:
            import nb_registry as nbr

            reg = nbr.Registry(backend.root, cache_dir=sc.path("cache"),
                               blobs=None if backend.blobs == "-" else backend.blobs)
            with step(f"building {versions} versions in 5 collections"):
                t = time.perf_counter()
                for i in range(versions):
                    art = nbr.Artifact(f"c{i % 5}", type="model")
                    with art.new_file("w.txt") as f:
                        f.write(f"build {i}")
                    reg.log(art, project="bench", aliases=["best"] if i % 3 == 0 else [])
                build = time.perf_counter() - t
            with step("timing the references"):
                writes, reads = backend.references(args.samples)
            with step(f"timing {args.samples} logs of one more version and warm resolves"):
                logs, resolves = [], []
                for i in range(args.samples):
                    art = nbr.Artifact(f"c{i % 5}", type="model")
                    with art.new_file("w.txt") as f:
                        f.write(f"sample {i}")
                    t = time.perf_counter()
                    reg.log(art, project="bench")
                    logs.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    reg.artifact(f"bench/c{i % 5}:best")
                    resolves.append(time.perf_counter() - t)
            blobs_arg = "" if backend.blobs == "-" else f", blobs={backend.blobs!r}"
            cold_code = (backend.cold_prefix() + f"import nb_registry as nbr; nbr.Registry({backend.root!r}, "
                         f"cache_dir={sc.path('cold')!r}{blobs_arg}).artifact('bench/c1:best')")
            with step("timing cold processes"):
                cold = median(run_python(cold_code, 5))
                bare = median(run_python("pass", 5))
            table.note("build", f"{versions} versions: {build:.1f} s ({build / versions * 1e3:.1f} ms per version)")
            table.add(f"{backend.ref_name} (reference)", median(writes))
            table.add(f"{backend.read_name} (reference)", median(reads))
            table.add(f"log one more version at {versions} versions", median(logs), backend.ref_name, median(writes))
            table.add("resolve name:alias, warm", median(resolves), backend.read_name, median(reads))
            table.add("cold process: import, open, resolve", cold, "python -c pass", bare)
            for shared in (False, True):
                rates = {}
                where = "one collection for all" if shared else "a collection each"
                for writers in (1, 4, 16):
                    with step(f"{writers} writer processes, {per_writer} logs each, {where}"):
                        rates[writers], conflicts = throughput(backend, sc, env, writers, per_writer, shared)
                    table.add(f"throughput, {writers} writers, {where}", f"{rates[writers]:.1f} logs/s",
                              **({"ratio": rates[writers] / rates[1]} if writers > 1 else {}),
                              **({"target": ">= 1x", "ok": rates[writers] >= rates[1]} if writers == 16 else {}))
                    if args.backend == "bucket":
                        table.note("  conflicts lost and retried",
                                   f"{conflicts} ({conflicts / (writers * per_writer):.2f} per log)")
        finally:
            backend.close()
    table.print()


if __name__ == "__main__":
    main()
