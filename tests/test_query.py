"""Queries: find by content, diff, and the filter language over versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import make_file

import nb_registry as nbr
from nb_registry import Artifact, QueryError, Registry, RegistryError
from nb_registry.query import query
from nb_registry.store.hashing import hash_bytes


def _log(reg: Registry, tmp_path: Path, name: str, files: dict[str, str], project: str = "proj",
         metadata: dict[str, Any] | None = None, type: str = "model") -> Artifact:
    art = Artifact(name, type=type, metadata=metadata)
    for entry, content in files.items():
        art.add_file(make_file(tmp_path / "src" / name / entry, content), name=entry)
    return reg.log(art, project=project)


def test_find_by_content_across_names_collections_and_projects(reg: Registry, tmp_path: Path) -> None:
    a = _log(reg, tmp_path, "a", {"model.yml": "shared: 1", "other.txt": "x"})
    b = _log(reg, tmp_path, "b", {"configs/renamed.yaml": "shared: 1"}, project="elsewhere")
    _log(reg, tmp_path, "c", {"model.yml": "different"})
    probe = make_file(tmp_path / "probe" / "anything.name", "shared: 1")

    by_path = reg.find_by_content(str(probe))
    assert sorted((art.id, entry) for art, entry in by_path) == sorted([
        (a.id, "model.yml"), (b.id, "configs/renamed.yaml")])
    by_digest = nbr.Api(root=reg.url).find_by_content(hash_bytes(b"shared: 1").upper())
    assert sorted((art.id, entry) for art, entry in by_digest) == sorted((x.id, e) for x, e in by_path)
    assert reg.find_by_content(hash_bytes(b"never logged")) == []
    with pytest.raises(RegistryError, match="neither"):
        reg.find_by_content("not-a-digest")


def test_find_by_content_survives_new_versions(reg: Registry, tmp_path: Path) -> None:
    v0 = _log(reg, tmp_path, "m", {"w.bin": "one"})
    v1 = _log(reg, tmp_path, "m", {"w.bin": "two", "w_old.bin": "one"})
    found = sorted((art.id, entry) for art, entry in reg.find_by_content(hash_bytes(b"one")))
    assert found == [(v0.id, "w.bin"), (v1.id, "w_old.bin")]


def test_diff(reg: Registry, tmp_path: Path) -> None:
    _log(reg, tmp_path, "m", {"keep.txt": "k", "change.txt": "1", "drop.txt": "d"}, metadata={"acc": 0.5, "lr": 0.1})
    _log(reg, tmp_path, "m", {"keep.txt": "k", "change.txt": "2", "new.txt": "n"}, metadata={"acc": 0.7, "lr": 0.1, "ep": 3})
    d = nbr.Api(root=reg.url, project="proj").diff("m:v0", "m:v1")
    assert (d["from"], d["to"]) == ("proj/m:v0", "proj/m:v1")
    assert d["added"] == ["new.txt"]
    assert d["removed"] == ["drop.txt"]
    assert d["changed"] == ["change.txt"]
    assert d["unchanged"] == ["keep.txt"]
    assert d["metadata"] == {"acc": {"from": 0.5, "to": 0.7}, "ep": {"from": None, "to": 3}}
    same = reg.diff("proj/m:v1", "proj/m:latest")
    assert same["added"] == same["removed"] == same["changed"] == [] and same["metadata"] == {}


@pytest.fixture
def scored(reg: Registry, tmp_path: Path) -> nbr.Api:
    for i, acc in enumerate([0.80, 0.95, 0.91, 0.70]):
        _log(reg, tmp_path, "clf", {"w.bin": f"weights {i}"}, metadata={"val_acc": acc, "arch": "cnn" if i % 2 else "mlp"})
    reg.set_alias("proj/clf:v2", "best")
    return nbr.Api(root=reg.url, project="proj")


def test_versions_filter_and_order(scored: nbr.Api) -> None:
    good = scored.artifact_versions("clf", filters={"metadata.val_acc": {"$gte": 0.9}}, order="-metadata.val_acc")
    assert [a.version for a in good] == ["v1", "v2"]
    assert [a.metadata["val_acc"] for a in good] == [0.95, 0.91]
    asc = scored.artifact_versions("clf", order="metadata.val_acc")
    assert [a.version for a in asc] == ["v3", "v0", "v2", "v1"]
    assert [a.version for a in scored.artifact_versions("clf")] == ["v0", "v1", "v2", "v3"]
    top = scored.artifact_versions("clf", order="-metadata.val_acc", limit=1)
    assert [a.version for a in top] == ["v1"]
    cnn = scored.artifact_versions("clf", filters={"metadata.arch": "cnn", "metadata.val_acc": {"$lt": 0.9}})
    assert [a.version for a in cnn] == ["v3"]
    either = scored.artifact_versions("clf", filters={"$or": [{"aliases": {"$contains": "best"}},
                                                              {"metadata.val_acc": {"$lt": 0.75}}]})
    assert [a.version for a in either] == ["v2", "v3"]
    assert [a.version for a in scored.artifact_versions("clf", filters={"aliases": {"$contains": "latest"}})] == ["v3"]


def test_unknown_filter_field_lists_fields(scored: nbr.Api) -> None:
    with pytest.raises(QueryError) as e:
        scored.artifact_versions("clf", filters={"metadata.val_accuracy": {"$gte": 0.9}})
    assert "metadata.val_accuracy" in str(e.value) and "metadata.val_acc" in str(e.value)
    with pytest.raises(QueryError, match="metadata.val_acc"):
        scored.artifact_versions("clf", order="-metadata.nope")
    with pytest.raises(QueryError, match=r"\$gte"):
        scored.artifact_versions("clf", filters={"metadata.val_acc": {"$greater": 1}})
    with pytest.raises(QueryError, match="combinator"):
        scored.artifact_versions("clf", filters={"$xor": []})


def test_query_language_on_plain_records() -> None:
    rows = [{"a": 1, "t": ["x"], "s": "hello"}, {"a": 2, "t": ["y"], "s": "world"}, {"a": "3", "s": "hey", "t": []}]
    assert query(rows, {"a": {"$in": [1, 2]}}) == rows[:2]
    assert query(rows, {"a": {"$nin": [1, 2]}}) == rows[2:]
    assert query(rows, {"s": {"$regex": "^he"}}) == [rows[0], rows[2]]
    assert query(rows, {"a": {"$gt": 1}}) == [rows[1]]  # a string never compares with a number
    assert query(rows, {"$not": {"a": 1}}) == rows[1:]
    assert query(rows, {"a": {"$exists": True}, "t": {"$contains": "y"}}) == [rows[1]]
    assert query(rows, order=["-s"]) == [rows[1], rows[2], rows[0]]
    with pytest.raises(QueryError, match="bad"):
        query(rows, {"s": {"$regex": "("}})
    assert query([], {"anything": 1}) == []


def test_operator_arguments_of_the_wrong_type_are_errors() -> None:
    rows = [{"a": 1, "t": "xy"}, {"a": 2, "t": "yz"}]
    for flt, words in [({"a": {"$in": 1}}, "takes a list"), ({"a": {"$nin": "12"}}, "takes a list"),
                       ({"a": {"$exists": "no"}}, "true or false"), ({"a": {"$exists": 0}}, "true or false"),
                       ({"t": {"$regex": 3}}, "pattern string"), ({"$or": [{"a": {"$in": 2}}]}, "takes a list")]:
        with pytest.raises(QueryError, match=words):
            query(rows, flt)
    assert query(rows, {"a": {"$in": (1,)}}) == rows[:1]
    assert query(rows, {"a": {"$exists": False}}) == []


def test_version_field_accepts_v_tags(reg: Registry, tmp_path: Path) -> None:
    for i in range(4):
        _log(reg, tmp_path, "m", {"w.bin": f"weights {i}"})
    versions = lambda flt: [a.version for a in reg.versions("m", "proj", filters=flt)]  # noqa: E731
    assert versions({"version": "v3"}) == ["v3"]
    assert versions({"version": {"$in": ["v1", "v2"]}}) == ["v1", "v2"]
    assert versions({"version": {"$gte": "v2"}}) == ["v2", "v3"]
    assert versions({"version": {"$ne": "v0"}}) == ["v1", "v2", "v3"]
    assert versions({"version": 1}) == ["v1"]
    assert versions({"version": "3"}) == []  # not a version tag: compared as it is
