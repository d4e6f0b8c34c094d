"""One process of the team simulation in tests/test_stress.py: random registry operations, each outcome appended
to a JSON-lines report as soon as it is known (a SIGKILL loses at most the operation in flight).

    python tests/stress_worker.py ROOT BLOBS_OR_- REPORT SEED OPS CACHE [JSON storage options]
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

from nb_registry import LockTimeoutError, NotFoundError, Registry, RegistryError
from nb_registry import models as models_mod
from nb_registry import retention, runs

COLLECTIONS = ["alpha", "beta", "gamma"]
MODELS = ["churn", "fraud"]
ALIASES = ["best", "candidate", "staging"]


def main() -> None:
    root, blobs, report, seed, ops, cache = sys.argv[1:7]
    opts = json.loads(sys.argv[7]) if len(sys.argv) > 7 else {}
    rng = random.Random(int(seed))
    reg = Registry(root, cache_dir=cache, blobs=None if blobs == "-" else blobs, **opts)
    me = f"w{seed}"
    out = open(report, "a", buffering=1)

    def record(**fields: object) -> None:
        out.write(json.dumps({"by": me, **fields}) + "\n")

    def some_version(name: str) -> str | None:
        try:
            versions = reg.versions(f"p/{name}")
        except NotFoundError:
            return None
        return rng.choice(versions).id if versions else None

    for i in range(int(ops)):
        op = rng.choice(["log", "log", "log", "alias", "link", "model_alias", "run", "gc"])
        name = rng.choice(COLLECTIONS)
        try:
            if op == "log":
                from nb_registry import Artifact

                art = Artifact(name, type="model", metadata={"by": me, "i": i})
                with art.new_file("w.txt") as f:
                    f.write(f"content {rng.randrange(12)}")  # a small pool: writers deduplicate against each other
                logged = reg.log(art, project="p", aliases=[rng.choice(ALIASES)] if rng.random() < 0.5 else [])
                record(op=op, id=logged.id, digest=logged.digest, created=not logged.deduplicated)
            elif op == "alias":
                vid = some_version(name)
                if vid:
                    reg.set_alias(vid, rng.choice(ALIASES))
                    record(op=op, id=vid)
            elif op == "link":
                vid = some_version(name)
                if vid:
                    models_mod.link(reg, reg.artifact(vid), rng.choice(MODELS), [rng.choice(["staging", "production"])])
                    record(op=op, id=vid)
            elif op == "model_alias":
                model = rng.choice(MODELS)
                rm = models_mod.RegisteredModel.load(reg, model)
                versions = rm.versions()
                if versions:
                    rm.set_alias(rng.choice(["staging", "production"]), rng.choice(versions)["version"])
                    record(op=op, model=model)
            elif op == "run":
                run = runs.start_run(reg, project="p", job_type="stress")
                vid = some_version(name)
                if vid:
                    run.use_artifact(vid)
                for step in range(20):
                    run.log({"loss": 1 / (step + 1), "by": me})
                run.finish()
                record(op=op, run=run.path, used=vid)
            elif op == "gc":
                retention.set_retention(reg, f"p/{name}", keep_last=2)
                report_ = retention.gc(reg, dry_run=False, grace_seconds=0)
                removed = [v["artifact"] for v in report_["versions"]]
                record(op=op, removed=removed, blobs=report_["blobs"])
        except (NotFoundError, LockTimeoutError) as e:  # removed by another's gc meanwhile, or a gc is running: expected
            record(op=op, skipped=str(e)[:200])
        except RegistryError as e:
            record(op=op, error=f"{type(e).__name__}: {e}"[:500])
        time.sleep(rng.random() * 0.01)
    record(op="done")
    os._exit(0)  # no exit hook: every run was finished above


if __name__ == "__main__":
    main()
