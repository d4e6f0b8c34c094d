"""Valid JSON of the wrong shape in a registry file is damage: one error naming the file (exit 5 in the CLI),
never a bare TypeError or KeyError, and the file is left as it is. A damaged line of an append-only log does not
stop readers of the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

import nb_registry as nbr
from nb_registry import CorruptMetadataError

REPO = str(Path(__file__).resolve().parents[1])


@pytest.fixture
def filled(reg_root: str, tmp_path: Path) -> str:
    with nbr.init(project="p", root=reg_root) as run:
        for i in range(2):
            art = nbr.Artifact("m", type="model")
            with art.new_file("w.txt") as f:
                f.write(f"weights {i}")
            run.log_artifact(art, aliases=["best"])
        run.log({"loss": 0.5})
    nbr.Api(root=reg_root, project="p").link("m:v1", "clf", aliases=["production"])
    return reg_root


def _edit(root: str, rel: str, change: Callable[[Any], Any]) -> Path:
    path = Path(root) / "meta" / rel
    data = json.loads(path.read_text())
    data = change(data)
    path.write_text(json.dumps(data))
    return path


def _set(table: str, doc: str, value: Any) -> Callable[[Any], Any]:
    def change(d: Any) -> Any:
        d[table][doc] = value
        return d
    return change


def _drop(table: str, doc: str, field: str) -> Callable[[Any], Any]:
    def change(d: Any) -> Any:
        d[table][doc].pop(field)
        return d
    return change


def _field(table: str, doc: str, field: str, value: Any) -> Callable[[Any], Any]:
    def change(d: Any) -> Any:
        d[table][doc][field] = value
        return d
    return change


CASES = {
    "a version document that is a string": ("collections/p/m.json", _set("versions", "1", "v0"), "m:v0"),
    "a version without its digest": ("collections/p/m.json", _drop("versions", "2", "digest"), "m:latest"),
    "a version number that is text": ("collections/p/m.json", _field("versions", "1", "version", "zero"), "m:v0"),
    "aliases that are a list": ("collections/p/m.json", _field("collection", "1", "aliases", ["best"]), "m:best"),
    "a table that is a list": ("collections/p/m.json", lambda d: {**d, "versions": list(d["versions"].values())}, "m:v0"),
    "a collection row without a type": ("registry.json", lambda d: {**d, "collections": {"1": {"project": "p", "name": "m"}}}, "ls"),
    "a model whose versions are text": ("models/clf.json", lambda d: {**d, "versions": {"1": "p/m:v1"}}, "model-registry/clf:production"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_wrong_shape_is_damage_naming_the_file(filled: str, case: str) -> None:
    rel, change, spec = CASES[case]
    path = _edit(filled, rel, change)
    damaged = path.read_bytes()
    api = nbr.Api(root=filled, project="p")
    with pytest.raises(CorruptMetadataError, match=str(path).replace("\\", "\\\\")):
        api.artifact_collections() if spec == "ls" else api.artifact(spec)
    args = ["ls"] if spec == "ls" else ["show", spec]
    out = subprocess.run([sys.executable, "-m", "nb_registry", "--root", filled, "--project", "p", *args],
                         capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=REPO))
    assert out.returncode == 5, out.stderr
    assert str(path) in out.stderr and "Traceback" not in out.stderr
    assert path.read_bytes() == damaged, "reported, never reset"


def test_a_run_without_its_id_is_named(filled: str) -> None:
    api = nbr.Api(root=filled, project="p")
    (run,) = api.runs("p").to_records()
    path = _edit(filled, f"runs/p/{run['id']}.json", _drop("run", "1", "id"))
    with pytest.raises(CorruptMetadataError, match=str(path)):
        api.runs("p")


def test_damaged_lines_of_logs_do_not_stop_their_readers(filled: str) -> None:
    meta = Path(filled) / "meta"
    with open(meta / "journal.log", "ab") as f:
        f.write(b"\xff\xfe\x00 not a path\n")
    with open(meta / "content.idx", "ab") as f:
        f.write(b"\xff\xfe broken\tline\n")
    api = nbr.Api(root=filled, project="p")
    graph = api.lineage("m:v1", direction="both")
    assert "artifact:p/m:v1" in {n["id"] for n in graph["nodes"]}
    assert api.gc()["dry_run"] is True
    from nb_registry.store.hashing import hash_bytes

    assert [a.id for a, _ in api.find_by_content(hash_bytes(b"weights 1"))] == ["p/m:v1"]
    with nbr.init(project="p", root=filled) as run:  # and writers go on
        art = nbr.Artifact("m", type="model")
        with art.new_file("w.txt") as f:
            f.write("weights 2")
        assert run.log_artifact(art).version == "v2"
