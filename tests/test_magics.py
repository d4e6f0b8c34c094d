"""The magics in a real in-process IPython shell (the nbclient tests cover a real kernel)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import nb_registry as nbr


@pytest.fixture
def ip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from IPython.testing.globalipapp import get_ipython

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NB_REGISTRY_ROOT", str(tmp_path / "reg"))
    shell = get_ipython()  # one shell per process, as IPython's own tests do
    shell.run_line_magic("load_ext", "nb_registry")
    shell.run_line_magic("registry", f"--root {tmp_path / 'reg'} --project nb")
    yield shell
    shell.run_line_magic("unload_ext", "nb_registry")


def test_var_objects_round_trip_by_type(ip: Any, tmp_path: Path) -> None:
    ip.user_ns.update(weights=np.arange(6.0).reshape(2, 3), config={"lr": 0.1, "layers": [3, 2]})
    assert ip.run_cell("%%log_artifact clf --var weights --var config --alias best\npass").success
    assert ip.run_cell("both = %use clf:best").success
    assert set(ip.user_ns["both"]) == {"weights", "config"}
    assert (ip.user_ns["both"]["weights"] == np.arange(6.0).reshape(2, 3)).all()
    assert ip.run_cell("%use clf:best --as loaded").success and ip.user_ns["loaded"]["config"]["lr"] == 0.1
    art = nbr.Api(root=str(tmp_path / "reg"), project="nb").artifact("clf:best")
    assert sorted(art.manifest) == ["_objects.json", "config.json", "weights.npy"]
    assert (art.code or "").strip() == "pass"  # the cell's source is recorded with the version


def test_pickle_needs_an_opt_in_at_both_ends(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell("from fractions import Fraction\nm = Fraction(1, 3)  # no JSON, numpy or framework format: pickle only")
    assert not ip.run_cell("%%log_artifact obj --var m\npass").success
    out = capsys.readouterr()
    assert "--pickle" in out.out + out.err
    assert ip.run_cell("%%log_artifact obj --var m --pickle\npass").success
    result = ip.run_cell("x = %use obj:latest")
    assert not result.success  # loading a pickle runs code: refused without --allow-pickle
    assert ip.run_cell("x = %use obj:latest --allow-pickle").success and ip.user_ns["x"] == Fraction(1, 3)


def test_large_transfers_show_a_progress_bar(ip: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "small.bin").write_bytes(os.urandom(1024))
    (tmp_path / "big.bin").write_bytes(os.urandom(33 << 20))
    assert ip.run_cell("%%log_artifact small --files small.bin\npass").success
    assert "ProgressBar" not in capsys.readouterr().out
    assert ip.run_cell("%%log_artifact big --files big.bin\npass").success
    assert "<ProgressBar" in capsys.readouterr().out


def test_a_failing_cell_logs_nothing_and_fails(ip: Any, tmp_path: Path) -> None:
    assert not ip.run_cell("%%log_artifact broken --var y\ny = 1\nraise ValueError('boom')").success
    assert not nbr.Api(root=str(tmp_path / "reg"), project="nb").artifact_exists("broken:latest")


def test_arguments_are_split_as_a_shell_does(ip: Any, tmp_path: Path) -> None:
    (tmp_path / "my file.txt").write_text("spaces in the name")
    ip.user_ns["x"] = 1
    cell = ('%%log_artifact quoted --var x --files "my file.txt" --description "two words" '
            "--metadata tag='x y' --metadata url=http://x/#frag  # a comment\npass")
    assert ip.run_cell(cell).success
    art = nbr.Api(root=str(tmp_path / "reg"), project="nb").artifact("quoted:latest")
    assert art.description == "two words"
    assert art.metadata == {"tag": "x y", "url": "http://x/#frag"}
    assert "my file.txt" in art.manifest


def test_registry_project_switch_starts_a_new_implicit_run(ip: Any, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    ip.user_ns["x"] = 1
    assert ip.run_cell("%%log_artifact a1 --var x\npass").success
    ip.run_line_magic("registry", "--project proj2")
    assert ip.run_cell("%%log_artifact a2 --var x\npass").success
    api = nbr.Api(root=str(tmp_path / "reg"))
    assert (api.artifact("nb/a1:v0").producer_run or "").startswith("nb/")
    assert (api.artifact("proj2/a2:v0").producer_run or "").startswith("proj2/")
    run = nbr.init(project="explicit", root=str(tmp_path / "reg"))
    try:
        assert not ip.run_cell("%registry --project other").success  # it would not apply to the explicit run
        assert "finish it first" in capsys.readouterr().err
    finally:
        run.finish()


def test_dataframes_and_nan_round_trip_exactly(ip: Any, tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2], "t": pd.to_datetime(["2024-01-01 00:00:00", "2024-02-03 04:05:06"]),
                          "f": [0.5, float("nan")]}, index=["x", "y"])
    ip.user_ns.update(frame=frame, score=float("nan"))
    assert ip.run_cell("%%log_artifact frames --var frame --var score\npass").success
    assert ip.run_cell("back = %use frames:latest").success
    back = ip.user_ns["back"]
    pd.testing.assert_frame_equal(back["frame"], frame, check_dtype=False)  # index and values, parquet or JSON table
    assert str(back["frame"]["t"].dtype).startswith("datetime64")
    assert back["score"] != back["score"]  # NaN is plain JSON data for Python: no pickle asked for
