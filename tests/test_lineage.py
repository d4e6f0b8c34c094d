"""Lineage: dataset -> training runs -> models -> ensemble -> registered model, up and down."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import nb_registry as nbr

REPO = str(Path(__file__).resolve().parents[1])


@pytest.fixture
def api(reg_root: str) -> Any:
    return nbr.Api(root=reg_root, project="p")


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


@pytest.fixture
def world(reg_root: str, tmp_path: Path) -> dict[str, Any]:
    """dataset:v0 -> 3 train runs -> model-a/b/c:v0 -> ensemble run -> ensemble:v0 -> registered 'ens'."""
    w: dict[str, Any] = {"train": []}
    with nbr.init(project="p", job_type="prep", root=reg_root) as prep:
        ds = nbr.Artifact("dataset", type="dataset")
        ds.add_file(write(tmp_path / "data" / "train.csv", "x,y\n1,2\n"))
        w["dataset"] = prep.log_artifact(ds).id
    w["prep"] = prep.path
    for name in ("model-a", "model-b", "model-c"):
        with nbr.init(project="p", job_type="train", config={"model": name}, root=reg_root) as run:
            run.use_artifact("dataset:latest")
            m = nbr.Artifact(name, type="model", metadata={"val_acc": 0.9})
            m.add_file(write(tmp_path / name / "weights.bin", f"weights of {name}"))
            w[name] = run.log_artifact(m).id
        w["train"].append(run.path)
    with nbr.init(project="p", job_type="ensemble", root=reg_root) as run:
        a = run.use_artifact("model-a:v0")
        b = run.use_artifact("model-b:v0")
        ens = nbr.Artifact("ensemble", type="model")
        ens.add_reference(a.get_entry("weights.bin"), name="a.bin")  # a sub-model's file
        ens.add_reference(b)  # a whole sub-model
        ens.add_file(write(tmp_path / "ens" / "combine.json", '{"how": "mean"}'))
        w["ensemble"] = run.log_artifact(ens).id
        run.link_artifact(nbr.Api(root=reg_root, project="p").artifact(w["ensemble"]), "model-registry/ens",
                          aliases=["production"])
    w["ensemble_run"] = run.path
    return w


def edges(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}


def node_ids(graph: dict[str, Any]) -> set[str]:
    return {n["id"] for n in graph["nodes"]}


A = "artifact:{}".format
R = "run:{}".format


def test_upstream_of_the_ensemble(api: Any, world: dict[str, Any]) -> None:
    g = api.lineage(world["ensemble"], "up")
    assert g["root"] == A(world["ensemble"])
    e = edges(g)
    assert (R(world["ensemble_run"]), A(world["ensemble"]), "produced") in e
    assert (A(world["model-a"]), R(world["ensemble_run"]), "used") in e
    assert (A(world["model-a"]), A(world["ensemble"]), "depends-on") in e
    assert (A(world["model-b"]), A(world["ensemble"]), "depends-on") in e
    assert (A(world["dataset"]), R(world["train"][0]), "used") in e
    assert (R(world["train"][0]), A(world["model-a"]), "produced") in e
    assert (R(world["prep"]), A(world["dataset"]), "produced") in e
    ids = node_ids(g)
    assert A(world["dataset"]) in ids
    assert {R(world["train"][0]), R(world["train"][1])} <= ids
    assert A(world["model-c"]) not in ids and R(world["train"][2]) not in ids, "model-c is not part of the ensemble"
    # every edge connects nodes of the graph
    assert all(s in ids and t in ids for s, t, _ in e)


def test_nodes_carry_kind_type_name_version_aliases(api: Any, world: dict[str, Any]) -> None:
    g = api.lineage(world["ensemble"], "up")
    nodes = {n["id"]: n for n in g["nodes"]}
    ens = nodes[A(world["ensemble"])]
    assert (ens["kind"], ens["type"], ens["name"], ens["version"]) == ("artifact", "model", "ensemble", "v0")
    assert "latest" in ens["aliases"]
    assert ens["registered"] == ["model-registry/ens:v0 (production)"]
    ds = nodes[A(world["dataset"])]
    assert (ds["kind"], ds["type"]) == ("artifact", "dataset")
    train = nodes[R(world["train"][0])]
    assert (train["kind"], train["job_type"], train["state"]) == ("run", "train", "finished")
    assert train["config"] == {"model": "model-a"}


def test_upstream_of_the_registered_production_model(api: Any, world: dict[str, Any]) -> None:
    g = api.lineage("model-registry/ens:production", "up")
    assert g["root"] == A(world["ensemble"])
    assert A(world["dataset"]) in node_ids(g)


def test_downstream_of_the_dataset_reaches_the_ensemble(api: Any, world: dict[str, Any]) -> None:
    g = api.lineage(world["dataset"], "down")
    ids = node_ids(g)
    assert {A(world["model-a"]), A(world["model-b"]), A(world["model-c"]), A(world["ensemble"])} <= ids
    assert R(world["ensemble_run"]) in ids
    assert R(world["prep"]) not in ids, "down does not go up to the producer"
    e = edges(g)
    assert (A(world["dataset"]), R(world["train"][2]), "used") in e
    assert (A(world["model-b"]), A(world["ensemble"]), "depends-on") in e
    assert (R(world["ensemble_run"]), A(world["ensemble"]), "produced") in e


def test_both_directions_from_a_model(api: Any, world: dict[str, Any]) -> None:
    g = api.lineage(world["model-a"], "both")
    ids = node_ids(g)
    assert A(world["dataset"]) in ids and A(world["ensemble"]) in ids
    assert A(world["model-c"]) not in ids


def test_depth_limits(api: Any, world: dict[str, Any]) -> None:
    one = api.lineage(world["ensemble"], "up", depth=1)
    assert node_ids(one) == {A(world["ensemble"]), R(world["ensemble_run"]), A(world["model-a"]), A(world["model-b"])}
    two = api.lineage(world["ensemble"], "up", depth=2)
    assert {R(world["train"][0]), R(world["train"][1])} <= node_ids(two)
    assert A(world["dataset"]) not in node_ids(two)
    three = api.lineage(world["ensemble"], "up", depth=3)
    assert A(world["dataset"]) in node_ids(three)
    assert R(world["prep"]) not in node_ids(three)
    assert R(world["prep"]) in node_ids(api.lineage(world["ensemble"], "up", depth=4))
    zero = api.lineage(world["ensemble"], "up", depth=0)
    assert node_ids(zero) == {A(world["ensemble"])} and zero["edges"] == []


def test_lineage_of_a_run(api: Any, world: dict[str, Any]) -> None:
    g = api.lineage(f"run:{world['train'][0]}", "both", depth=1)
    assert g["root"] == R(world["train"][0])
    assert node_ids(g) == {R(world["train"][0]), A(world["dataset"]), A(world["model-a"])}
    short = api.lineage(f"run:{world['train'][0].split('/')[1]}", "up")
    assert short["root"] == R(world["train"][0])
    with pytest.raises(nbr.NotFoundError):
        api.lineage("run:p/nosuchrun")


def test_graph_is_json(api: Any, world: dict[str, Any]) -> None:
    g = api.lineage(world["ensemble"], "both")
    assert json.loads(json.dumps(g)) == g


def test_bad_direction_and_missing_version(api: Any, world: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="direction"):
        api.lineage(world["ensemble"], "sideways")
    with pytest.raises(nbr.NotFoundError):
        api.lineage("ensemble:v9")


def test_writes_by_another_process_are_seen_by_a_warm_index(api: Any, world: dict[str, Any], reg_root: str,
                                                            tmp_path: Path) -> None:
    before = api.lineage(world["dataset"], "down")
    assert all(n.get("name") != "distilled" for n in before["nodes"])
    write(tmp_path / "child" / "d.bin", "distilled weights")
    code = textwrap.dedent("""
        import sys, nb_registry as nbr
        root, src = sys.argv[1], sys.argv[2]
        with nbr.init(project="p", job_type="distill", root=root) as run:
            run.use_artifact("ensemble:latest")
            art = nbr.Artifact("distilled", type="model")
            art.add_file(src)
            run.log_artifact(art, aliases=["candidate"])
        api = nbr.Api(root=root, project="p")
        api.link("distilled:v0", "ens", aliases=["production"])
        print(run.path)
    """)
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run([sys.executable, "-c", code, reg_root, str(tmp_path / "child" / "d.bin")], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    child_run = r.stdout.strip()
    after = api.lineage(world["dataset"], "down")
    nodes = {n["id"]: n for n in after["nodes"]}
    assert A("p/distilled:v0") in nodes
    assert (R(child_run), A("p/distilled:v0"), "produced") in edges(after)
    assert nodes[A("p/distilled:v0")]["aliases"] == ["latest", "candidate"]
    assert nodes[A("p/distilled:v0")]["registered"] == ["model-registry/ens:v1 (production)"]
    assert nodes[A(world["ensemble"])]["registered"] == ["model-registry/ens:v0"], "production moved off v0"
    up = api.lineage("model-registry/ens:production", "up")
    assert up["root"] == A("p/distilled:v0")
    assert A(world["dataset"]) in node_ids(up)


def test_new_version_moves_latest_in_the_graph(api: Any, world: dict[str, Any], reg_root: str, tmp_path: Path) -> None:
    assert "latest" in {n["id"]: n for n in api.lineage(world["dataset"], "up")["nodes"]}[A(world["dataset"])]["aliases"]
    with nbr.init(project="p", job_type="prep", root=reg_root) as run:
        ds = nbr.Artifact("dataset", type="dataset")
        ds.add_file(write(tmp_path / "data2" / "train.csv", "x,y\n3,4\n"))
        run.log_artifact(ds)
    nodes = {n["id"]: n for n in api.lineage(world["dataset"], "down", depth=0)["nodes"]}
    assert nodes[A(world["dataset"])]["aliases"] == []
    assert api.lineage("dataset:latest", "up", depth=0)["root"] == A("p/dataset:v1")
