"""On S3 (moto's real server), a listing one process made never hides what another process did since:
blobs added by another process are found, and blobs it removed are uploaded again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_file

from nb_registry import Artifact, Registry
from nb_registry.retention import gc
from nb_registry.store.hashing import hash_bytes

WRITER = r"""
import json, os, sys
from nb_registry import Artifact, Registry
from nb_registry.store.hashing import hash_bytes
root, endpoint, cache, work, wanted = sys.argv[1:6]
wanted = set(json.loads(wanted))
reg = Registry(root, cache_dir=cache, client_kwargs={"endpoint_url": endpoint})
# content whose blob, and whose manifest, land in fan-out folders the other process has listed
for attempt in range(400):
    i = 0
    while hash_bytes(f"{attempt}:{i}".encode())[:2] not in wanted:
        i += 1
    path = os.path.join(work, f"w{attempt}.bin")
    open(path, "w").write(f"{attempt}:{i}")
    art = Artifact("n")
    art.add_file(path, name="w.bin")
    logged = reg.log(art, project="p")
    if logged.record.manifest[:2] in wanted:
        print(json.dumps({"version": logged.version, "digest": logged.manifest["w.bin"]["digest"],
                          "content": f"{attempt}:{i}"}))
        break
"""


@pytest.fixture
def root(s3_bucket: str) -> str:
    return f"s3://{s3_bucket}/reg"


def _listed_registry(root: str, s3_options: dict[str, Any], tmp_path: Path, files: int = 48) -> Registry:
    """A registry holding blobs in many fan-out folders, after a gc dry run has listed them all."""
    reg = Registry(root, cache_dir=str(tmp_path / "cache-a"), **s3_options)
    for start in range(0, files, 12):  # fewer small files a log than are packed together: loose blobs
        art = Artifact("m")
        for i in range(start, min(files, start + 12)):
            art.add_file(make_file(tmp_path / "src" / f"f{i}.txt", f"file {i}"))
        reg.log(art, project="p")
    gc(reg, dry_run=True)
    return reg


def test_blobs_another_process_added_after_a_listing_are_found(root: str, s3_options: dict[str, Any], s3_endpoint: str,
                                                               tmp_path: Path) -> None:
    a = _listed_registry(root, s3_options, tmp_path)
    listed = sorted({d[:2] for d in a.blobs.digests()})
    out = subprocess.run([sys.executable, "-c", WRITER, root, s3_endpoint, str(tmp_path / "cache-b"), str(tmp_path),
                          json.dumps(listed)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    made = json.loads(out.stdout.strip().splitlines()[-1])
    assert a.blobs.exists(made["digest"])
    assert a.blobs.read_verified(made["digest"]) == made["content"].encode()
    art = a.artifact(f"p/n:{made['version']}")  # its manifest is in a listed folder too
    assert Path(art.download(str(tmp_path / "out")), "w.bin").read_text() == made["content"]
    assert art.verify() == []


REMOVER = r"""
import sys, s3fs
s3fs.S3FileSystem(client_kwargs={"endpoint_url": sys.argv[2]}, skip_instance_cache=True).rm_file(sys.argv[1])
"""


def test_a_blob_another_process_removed_after_a_listing_is_uploaded_again(root: str, s3_options: dict[str, Any],
                                                                          s3_endpoint: str, s3fs_fs: Any,
                                                                          tmp_path: Path) -> None:
    a = _listed_registry(root, s3_options, tmp_path)
    digest = hash_bytes(b"file 3")
    blob = f"{root[len('s3://'):]}/blobs/{digest[:2]}/{digest[2:]}"
    # another process removes the blob (as its gc does once no version holds it)
    subprocess.run([sys.executable, "-c", REMOVER, blob, s3_endpoint], check=True, timeout=120)
    assert not a.blobs.exists(digest)
    again = Artifact("again")
    again.add_file(make_file(tmp_path / "again.txt", "file 3"))
    logged = a.log(again, project="p")
    assert logged.new_bytes == len(b"file 3")  # type: ignore[attr-defined]
    s3fs_fs.invalidate_cache()
    assert s3fs_fs.cat_file(blob) == b"file 3"
    assert logged.verify() == []
