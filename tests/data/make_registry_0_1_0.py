"""Writes the registries that tests/test_compat_0_1_0.py opens: run ONCE with nb_registry 0.1.0 installed.

    python tests/data/make_registry_0_1_0.py OUT_DIR [--s3]

It logs through 0.1.0's public API only: 300 versions of one collection (more than a 0.2 head holds, so the
first write of 0.2 seals them into chunks), aliases and their history, a run with metric history, a registered
model with links, stage aliases and a stored automation (0.1.0 ran those; 0.2 never does), a dependency, a
retention policy. With --s3 it also writes a bucket registry (on a moto server it starts) (its logs as 0.1.0's timed parts) and
saves every object of the bucket. Output: registry-0.1.0.tar.gz (and bucket-0.1.0.json.gz).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import sys
import tarfile
import tempfile

import nb_registry as nbr


def fill(root: str, versions: int) -> None:
    work = tempfile.mkdtemp()
    with nbr.init(project="legacy", job_type="train", config={"lr": 0.01}, root=root) as run:
        for i in range(versions):
            path = os.path.join(work, f"w{i}.bin")
            with open(path, "w") as f:
                f.write(f"weights {i}")
            art = nbr.Artifact("ckpt", type="model", metadata={"step": i, "val_acc": (i % 17) / 17})
            art.add_file(path, name="w.bin")
            run.log_artifact(art, aliases=["best"] if i % 50 == 0 else [])
            if i % 100 == 0:
                run.log({"loss": 1 / (i + 1)})
        data = nbr.Artifact("data", type="dataset")
        data.add_file(os.path.join(work, "w0.bin"), name="shared.bin")  # same bytes as ckpt:v0
        data = run.log_artifact(data)
        ens = nbr.Artifact("ensemble", type="model")
        ens.add_reference(data)
        with ens.new_file("config.json") as f:
            f.write('{"members": 1}')
        run.log_artifact(ens, aliases=["production"])
    api = nbr.Api(root=root, project="legacy")
    api.link(f"ckpt:v{versions - 50}", "churn", aliases=["staging"])
    api.link(f"ckpt:v{versions - 1}", "churn", aliases=["production"])
    api.registered_model("churn").set_alias("staging", 1)
    api.registered_model("churn").update(model_card="# Churn\nlegacy", tags=["old"])
    api.add_automation("churn", "production", "echo this-must-never-run-in-0.2")
    api.set_retention("ckpt", keep_last=5)
    api.prediction_log(f"ckpt:v{versions - 1}").append(0.5, inputs={"x": 1})


def main() -> None:
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    root = os.path.join(tempfile.mkdtemp(), "registry")
    fill(root, 300)
    with tarfile.open(os.path.join(out, "registry-0.1.0.tar.gz"), "w:gz") as tar:
        tar.add(root, arcname="registry", filter=lambda t: None if "/cache" in t.name or t.name.endswith("/.lock") else t)
    if "--s3" in sys.argv:
        import socket

        import s3fs
        from moto.server import ThreadedMotoServer

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        import fsspec.config

        os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
        fsspec.config.conf["s3"] = {"endpoint_url": f"http://127.0.0.1:{port}"}  # every S3FileSystem uses the server
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        fs = s3fs.S3FileSystem()
        fs.mkdir("legacy")
        fill("s3://legacy/reg", 60)
        objects = {p[len("legacy/"):]: base64.b64encode(fs.cat_file(p)).decode() for p in fs.find("legacy")}
        with gzip.open(os.path.join(out, "bucket-0.1.0.json.gz"), "wt") as f:
            json.dump(objects, f)
        server.stop()


if __name__ == "__main__":
    main()
