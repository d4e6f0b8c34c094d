"""A registry on a bucket, with no lock: every metadata write a conditional PUT, conflicts retried.

    .venv/bin/python bench/bench_bucket.py                 # 500 versions, writers 1, 4, 16
    .venv/bin/python bench/bench_bucket.py --versions 100  # quick

The bucket is moto's S3 server on 127.0.0.1, started by this script in a process of its own (its conditional
PUTs made atomic, as S3's are). Figures (medians), each against a reference measured in the same run:
  log one more version      at N versions. Reference: one conditional PUT of a 4 KiB object (If-Match)
                            to the same server, the least one metadata commit costs there.
  resolve name:alias        warm (a process that resolved before: HEADs to check its cached shards) and
                            cold (a new process). Reference: one HEAD of an object.
  throughput                logs per second of 1, 4 and 16 writer processes logging into one collection
                            together, with the conflicts they lost and retried. 16 must not collapse below 1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid

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
fsspec.config.conf["s3"] = {"endpoint_url": sys.argv[3]}
from nb_registry import Artifact, Registry
reg = Registry(sys.argv[1], cache_dir=sys.argv[4])
n, me = int(sys.argv[2]), sys.argv[5]
while time.time() < float(sys.argv[6]):
    time.sleep(0.005)
t = time.perf_counter()
for i in range(n):
    art = Artifact("shared", type="model")
    with art.new_file("w.txt") as f:
        f.write(f"{me} {i}")
    reg.log(art, project="bench")
print(json.dumps({"seconds": time.perf_counter() - t, "conflicts": reg.meta.shards.conflicts}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--versions", type=int, default=500, help="versions in the registry (default %(default)s)")
    p.add_argument("--samples", type=int, default=20, help="logs and resolves timed (default %(default)s)")
    p.add_argument("--per-writer", type=int, default=12, help="logs each concurrent writer makes (default %(default)s)")
    args = p.parse_args()
    header("bench_bucket: a registry on a bucket, no lock", args)
    env = use_child_env(args.dir)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stderr=subprocess.DEVNULL, env=env)
    table = Table()
    try:
        import fsspec.config
        import s3fs

        fsspec.config.conf["s3"] = {"endpoint_url": endpoint}
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        fs = s3fs.S3FileSystem()
        fs.mkdir("bench")
        import nb_registry as nbr

        with Scratch(args.dir, "bucket", args.keep) as sc:
            root = "s3://bench/reg"
            reg = nbr.Registry(root, cache_dir=sc.path("cache"))
            with step(f"building {args.versions} versions in 5 collections"):
                t = time.perf_counter()
                for i in range(args.versions):
                    art = nbr.Artifact(f"c{i % 5}", type="model")
                    with art.new_file("w.txt") as f:
                        f.write(f"build {i}")
                    reg.log(art, project="bench", aliases=["best"] if i % 3 == 0 else [])
                build = time.perf_counter() - t
            with step("timing the reference conditional PUT and HEAD"):
                fs.pipe_file("bench/ref", b"x" * 4096)
                puts, heads_ = [], []
                for _ in range(args.samples):
                    etag = fs.info("bench/ref")["ETag"]
                    t = time.perf_counter()
                    fs.pipe_file("bench/ref", uuid.uuid4().bytes * 256, IfMatch=etag)
                    puts.append(time.perf_counter() - t)
                    fs.invalidate_cache()
                    t = time.perf_counter()
                    fs.info("bench/ref")
                    heads_.append(time.perf_counter() - t)
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
            cold_code = (f"import fsspec.config; fsspec.config.conf['s3'] = {{'endpoint_url': {endpoint!r}}}\n"
                         f"import nb_registry as nbr; nbr.Registry({root!r}, cache_dir={sc.path('cold')!r})"
                         ".artifact('bench/c1:best')")
            with step("timing cold processes"):
                cold = median(run_python(cold_code, 5))
                bare = median(run_python("pass", 5))
            put_ref, head_ref = median(puts), median(heads_)
            table.note("build", f"{args.versions} versions: {build:.1f} s ({build / args.versions * 1e3:.1f} ms per version)")
            table.add("conditional PUT of 4 KiB (reference)", put_ref)
            table.add("HEAD of an object (reference)", head_ref)
            table.add(f"log one more version at {args.versions} versions", median(logs), "conditional PUT", put_ref)
            table.add("resolve name:alias, warm", median(resolves), "HEAD", head_ref)
            table.add("cold process: import, open, resolve", cold, "python -c pass", bare)
            rates = {}
            for writers in (1, 4, 16):
                with step(f"{writers} writer processes, {args.per_writer} logs each, one collection"):
                    start = time.time() + 3.0
                    procs = [subprocess.Popen([sys.executable, "-c", WRITER, root, str(args.per_writer), endpoint,
                                               sc.path(f"w{writers}-{k}"), f"w{writers}-{k}", str(start)],
                                              stdout=subprocess.PIPE, text=True, env=env) for k in range(writers)]
                    outs = [json.loads(p.communicate(timeout=1800)[0]) for p in procs]
                    wall = max(o["seconds"] for o in outs)
                    total = writers * args.per_writer
                    rates[writers] = total / wall
                    conflicts = sum(o["conflicts"] for o in outs)
                    table.add(f"throughput, {writers} writers", f"{rates[writers]:.1f} logs/s",
                              **({"ratio": rates[writers] / rates[1]} if writers > 1 else {}),
                              **({"target": ">= 1x", "ok": rates[writers] >= rates[1]} if writers == 16 else {}))
                    table.note("  conflicts lost and retried", f"{conflicts} ({conflicts / total:.2f} per log)")
    finally:
        server.terminate()
        server.wait(30)
    table.print()


if __name__ == "__main__":
    main()
