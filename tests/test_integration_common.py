"""What the training integrations share, without a framework: checkpoint logging and ``best``, metric rows at a
framework's step, JSON-ready values, and the run they log into (plus ``Run.update_config``, which they need)."""

from __future__ import annotations

import argparse
import enum
import math
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import nb_registry as nbr
from nb_registry.integrations._common import CheckpointLog, StepHistory, active_run, jsonable, open_run, safe_name


def write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def test_update_config_adds_keys_after_the_start_and_saves_them(reg_root: str) -> None:
    run = nbr.init(project="p", config={"lr": 0.1}, root=reg_root)
    run.update_config({"layers": [4, 2]}, seed=3)
    assert nbr.Api(root=reg_root).run(run.path).config == {"lr": 0.1, "layers": [4, 2], "seed": 3}
    with pytest.raises(nbr.InvalidSpecError, match=r"config\['bad'\] is not JSON-serialisable"):
        run.update_config({"bad": object()})
    assert nbr.Api(root=reg_root).run(run.path).config == {"lr": 0.1, "layers": [4, 2], "seed": 3}, "nothing half-saved"
    with pytest.raises(nbr.InvalidSpecError, match="takes a dict"):
        run.update_config([("a", 1)])  # type: ignore[arg-type]
    run.finish()
    with pytest.raises(nbr.InvalidSpecError, match="is finished"):
        run.update_config(lr=1.0)


def test_checkpoint_log_keeps_best_by_score_and_skips_unchanged_files(reg_root: str, tmp_path: Path) -> None:
    run = nbr.init(project="p", root=reg_root)
    log = CheckpointLog("ckpts", mode="min")
    a = write(tmp_path / "a.bin", b"epoch 0")
    assert log.log(run, a, score=0.5).version == "v0"
    assert log.log(run, a, score=0.1) is None, "the same file, unchanged: not logged again"
    os.utime(a, ns=(time.time_ns() + 10**9,) * 2)  # touched: read again, but the same bytes are the same version
    assert log.log(run, a, score=0.5).version == "v0"
    b = write(tmp_path / "b.bin", b"epoch 1")
    assert log.log(run, b, score=0.7).aliases == ["latest"]  # worse: best stays on v0
    c = write(tmp_path / "c.bin", b"epoch 2")
    assert log.log(run, c, score=0.2).aliases == ["latest", "best"]
    write(tmp_path / "c.bin", b"epoch 3!")  # rewritten in place (last.ckpt): a new version
    assert log.log(run, c, score=float("nan")).version == "v3" and log.best_score == 0.2
    api = nbr.Api(root=reg_root, project="p")
    assert api.artifact("ckpts:best").version == "v2"
    log.mark_best(b)  # the framework says b is best after all
    assert api.artifact("ckpts:best").version == "v1"
    assert [(h["from"], h["to"]) for h in api.registry.alias_history("ckpts", "p")] == [(None, 0), (0, 2), (2, 1)]
    assert log.improves(0.6) is False and log.improves(None) is False and CheckpointLog("x", mode="max").improves(-1)


def test_checkpoint_log_of_a_folder_keeps_what_include_accepts(reg_root: str, tmp_path: Path) -> None:
    run = nbr.init(project="p", root=reg_root)
    write(tmp_path / "ck" / "model.bin", b"w")
    write(tmp_path / "ck" / "sub" / "optimizer.pt", b"o")
    log = CheckpointLog("folder")
    art = log.log(run, str(tmp_path / "ck"), include=lambda rel: not rel.endswith("optimizer.pt"), aliases=["step 10!"])
    assert [e.path for e in art.files()] == ["model.bin"] and "step-10" in art.aliases
    assert log.log(run, str(tmp_path / "ck"), include=lambda rel: not rel.endswith("optimizer.pt")) is None
    (tmp_path / "empty").mkdir()
    with pytest.raises(nbr.InvalidSpecError, match="holds no file"):
        log.log(run, str(tmp_path / "empty"))
    with pytest.raises(nbr.InvalidSpecError, match="mode must be one of min, max"):
        CheckpointLog("x", mode="auto")


def test_step_history_merges_a_step_and_never_overwrites_a_value(reg_root: str) -> None:
    run = nbr.init(project="p", root=reg_root)
    h = StepHistory("trainer/step")
    h.log(run, {"loss": 1.0, "epoch": 0}, 2)
    h.log(run, {"val": 0.5, "epoch": 0}, 2)  # the same step, an equal epoch: one row
    h.log(run, {"loss": 0.5, "epoch": 1}, 4)
    h.log(run, {"val": 0.4, "epoch": 1}, 4)
    h.log(run, {"val": 0.45}, 4)  # an evaluation after training, at the last step: a row of its own
    h.log(run, {"loss": 2.0}, 1)  # a second fit starts again at step 1
    h.log(run, {"loss": 1.5}, 2)
    run.finish()
    rows = [{k: v for k, v in r.items() if k != "_time" and v is not None} for r in nbr.Api(root=reg_root).run(run.path).history().to_records()]
    assert rows[:2] == [{"_step": 2, "loss": 1.0, "epoch": 0, "val": 0.5}, {"_step": 4, "loss": 0.5, "epoch": 1, "val": 0.4}]
    assert [(r.get("val"), r.get("loss"), r.get("trainer/step")) for r in rows[2:]] == [
        (0.45, None, 4), (None, 2.0, 1), (None, 1.5, 2)]


class Colour(enum.Enum):
    RED = 1


def test_jsonable_and_safe_name() -> None:
    value = {"np": np.float32(0.5), "t": torch.tensor(2.0), "arr": np.arange(3), "path": Path("/x"), "e": Colour.RED,
             "ns": argparse.Namespace(a=1), "nan": math.nan, "inf": math.inf, "f": jsonable, 3: (1, 2)}
    assert jsonable(value) == {"np": 0.5, "t": 2.0, "arr": [0, 1, 2], "path": "/x", "e": "RED", "ns": {"a": 1},
                               "nan": None, "inf": math.inf, "f": "nb_registry.integrations._common.jsonable",
                               "3": [1, 2]}
    assert jsonable(torch.zeros(2000)).startswith("tensor(")  # too big to list: its text
    assert safe_name("trial/3 of: study") == "trial-3-of-study" and safe_name("///") == "run"
    assert len(safe_name("x" * 300)) == 128


def test_open_run_reuses_the_users_run_but_not_a_notebooks(reg_root: str) -> None:
    assert active_run() is None
    mine = nbr.init(project="p", job_type="train", root=reg_root)
    run, owned = open_run(None, "dflt", config={"k": 1})
    assert run is mine and not owned and nbr.Api(root=reg_root).run(mine.path).config == {"k": 1}
    nbr.init(project="p", job_type="notebook", root=reg_root)  # what %load_ext starts in a kernel
    run, owned = open_run("my project", "dflt", name="x", root=reg_root)
    assert owned and run.project == "my-project" and run.job_type == "train" and run.name == "x"
    run.finish()
