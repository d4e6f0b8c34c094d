"""Run queries: a hyperparameter search found by filter and sort, tags, state, job type, errors, tables."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

import nb_registry as nbr

LRS = [0.1, 0.03, 0.005, 0.001]
DEPTHS = [2, 4, 8]


def accuracy(lr: float, depth: int) -> float:
    """A made-up but deterministic score: small learning rates and depth 4 do best."""
    return round(0.95 - abs(depth - 4) * 0.02 - (0.1 if lr >= 0.01 else 0.0) - lr, 4)


@pytest.fixture
def api(reg_root: str) -> Any:
    return nbr.Api(root=reg_root, project="hpo")


@pytest.fixture
def search(reg_root: str) -> dict[str, dict[str, Any]]:
    """12 trials (4 learning rates x 3 depths), each a run with config, summary and tags."""
    trials = {}
    for i, (lr, depth) in enumerate(itertools.product(LRS, DEPTHS)):
        tags = ["sweep", "deep"] if depth == 8 else ["sweep"]
        with nbr.init(project="hpo", job_type="trial", config={"lr": lr, "depth": depth}, tags=tags,
                      name=f"trial-{i}", root=reg_root) as run:
            for epoch in range(3):
                run.log({"acc": accuracy(lr, depth) - (2 - epoch) * 0.01, "epoch": epoch})
        trials[run.id] = {"lr": lr, "depth": depth, "acc": accuracy(lr, depth)}
    with nbr.init(project="hpo", job_type="eval", root=reg_root, config={"lr": 0.0}) as ev:
        ev.log({"acc": 0.5})
    other = nbr.init(project="hpo", job_type="trial", config={"lr": 0.0001, "depth": 4}, root=reg_root)
    other.log({"acc": 0.99})
    other.finish(exit_code=2)
    trials[ev.id] = {"eval": True}
    trials[other.id] = {"failed": True}
    return trials


def test_best_trial_found_by_filter_and_order(api: Any, search: dict[str, dict[str, Any]]) -> None:
    table = api.runs("hpo", filters={"config.lr": {"$lt": 0.01}, "summary.acc": {"$gte": 0.9}, "state": "finished"},
                     order="-summary.acc")
    expected = sorted(((t["acc"], rid) for rid, t in search.items()
                       if "acc" in t and t["lr"] < 0.01 and t["acc"] >= 0.9), reverse=True)
    assert expected, "the fixture must have matching trials"
    assert [r["id"] for r in table] == [rid for _, rid in expected]
    best = table.to_records()[0]
    assert best["config.lr"] == 0.001 and best["config.depth"] == 4
    assert best["summary.acc"] == accuracy(0.001, 4)


def test_sort_on_any_column_ascending_and_descending(api: Any, search: dict[str, dict[str, Any]]) -> None:
    by_depth = api.runs("hpo", filters={"job_type": "trial", "state": "finished"}, order=["config.depth", "-config.lr"])
    pairs = [(r["config.depth"], r["config.lr"]) for r in by_depth]
    assert pairs == sorted(pairs, key=lambda p: (p[0], -p[1]))
    assert len(pairs) == 12
    by_name = api.runs("hpo", order="name")
    names = [r["name"] for r in by_name]
    assert names == sorted(names)
    newest_first = api.runs("hpo")
    started = [r["started_at"] for r in newest_first]
    assert started == sorted(started, reverse=True)


def test_filter_on_tags_state_and_job_type(api: Any, search: dict[str, dict[str, Any]]) -> None:
    deep = api.runs("hpo", filters={"tags": {"$contains": "deep"}})
    assert {r["id"] for r in deep} == {rid for rid, t in search.items() if t.get("depth") == 8}
    failed = api.runs("hpo", filters={"state": "failed"})
    assert [r["id"] for r in failed] == [rid for rid, t in search.items() if t.get("failed")]
    evals = api.runs("hpo", filters={"job_type": "eval"})
    assert [r["id"] for r in evals] == [rid for rid, t in search.items() if t.get("eval")]
    either = api.runs("hpo", filters={"$or": [{"job_type": "eval"}, {"state": "failed"}]})
    assert len(either) == 2
    not_trials = api.runs("hpo", filters={"$not": {"job_type": "trial"}})
    assert [r["job_type"] for r in not_trials] == ["eval"]
    assert len(api.runs("hpo", filters={"config.depth": {"$in": [2, 8]}})) == 8
    assert len(api.runs("hpo", limit=3)) == 3


def test_unknown_field_is_a_clear_error(api: Any, search: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(nbr.QueryError) as e:
        api.runs("hpo", filters={"config.learning_rate": {"$lt": 0.01}})
    msg = str(e.value)
    assert "config.learning_rate" in msg and "config.lr" in msg and "summary.acc" in msg
    with pytest.raises(nbr.QueryError, match="unknown sort field 'summary.f1'"):
        api.runs("hpo", order="-summary.f1")
    with pytest.raises(nbr.QueryError, match=r"\$lesser"):
        api.runs("hpo", filters={"config.lr": {"$lesser": 1}})


def test_other_projects_are_not_mixed_in(api: Any, reg_root: str, search: dict[str, dict[str, Any]]) -> None:
    with nbr.init(project="elsewhere", config={"lr": 0.001}, root=reg_root) as run:
        run.log({"acc": 1.0})
    assert run.id not in {r["id"] for r in api.runs("hpo")}
    assert [r["id"] for r in api.runs("elsewhere")] == [run.id]
    assert run.id in {r["id"] for r in api.runs(None)}


def test_records_and_pandas_side_by_side(api: Any, search: dict[str, dict[str, Any]]) -> None:
    table = api.runs("hpo", filters={"job_type": "trial", "state": "finished"}, order="-summary.acc")
    records = table.to_records()
    assert len(records) == 12
    assert {"id", "name", "state", "config.lr", "config.depth", "summary.acc", "summary.epoch"} <= set(table.columns)
    json.dumps(records)
    import pandas as pd
    df = table.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 12
    assert list(df.columns) == table.columns
    assert df["summary.acc"].is_monotonic_decreasing
    best = df.iloc[0]
    assert (best["config.lr"], best["config.depth"]) == (0.001, 4)
    assert "<table" in table._repr_html_()


def test_nested_config_fields_filter_and_sort(api: Any, reg_root: str) -> None:
    for beta in (0.8, 0.9, 0.99):
        with nbr.init(project="nested", config={"opt": {"adam": {"beta1": beta}}, "lr": 0.1}, root=reg_root) as run:
            run.log({"acc": beta})
    table = api.runs("nested", filters={"config.opt.adam.beta1": {"$gte": 0.9}}, order="-config.opt.adam.beta1")
    assert [r["summary.acc"] for r in table] == [0.99, 0.9]
    assert table.to_records()[0]["config.opt"] == {"adam": {"beta1": 0.99}}


def test_empty_project_gives_an_empty_table(api: Any) -> None:
    table = api.runs("nothing-here", filters={"config.lr": 1})
    assert len(table) == 0 and table.to_records() == []
