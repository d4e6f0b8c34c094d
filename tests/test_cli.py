"""The ``nb-registry`` CLI: real OS processes for the main flows, ``main()`` in-process for the rest."""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nb_registry.cli import _filter_expr, _key_value, main

PROJECT_ROOT = Path(__file__).resolve().parents[1]


# -- helpers ---------------------------------------------------------------------------------------
def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nb_registry --root <tmp>/reg ARGS`` as a separate process, in ``tmp_path``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("NB_REGISTRY_PROJECT", None)
    return subprocess.run([sys.executable, "-m", "nb_registry", "--root", str(tmp_path / "reg"), *args],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)


def ok_json(proc: subprocess.CompletedProcess[str]) -> object:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_main(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "model.bin").write_bytes(b"weights-v0" * 100)
    tok = tmp_path / "tok"
    tok.mkdir()
    (tok / "a.json").write_text('{"vocab": 3}')
    (tok / "b.txt").write_text("merges")
    return tmp_path


# -- real processes: the main flows -----------------------------------------------------------------
def test_log_dedup_alias_ls_show(files: Path) -> None:
    first = ok_json(cli(files, "--json", "log", "model", "model.bin", "tok", "--alias", "best",
                        "--metadata", "acc=0.91", "--metadata", "arch=resnet", "--description", "first"))
    assert first["id"] == "uncategorized/model:v0" and first["files"] == 3
    assert first["deduplicated"] is False and first["new_bytes"] == first["size"] > 0
    assert first["aliases"] == ["latest", "best"]

    again = cli(files, "log", "model", "model.bin", "tok")  # unchanged: same version, nothing stored
    assert again.returncode == 0, again.stderr
    assert "uncategorized/model:v0" in again.stdout and "deduplicated  yes" in again.stdout
    assert "new bytes     0 B" in again.stdout

    (files / "model.bin").write_bytes(b"weights-v1" * 100)
    second = ok_json(cli(files, "--json", "log", "model", "model.bin", "tok", "--alias", "best"))
    assert second["version"] == "v1" and second["new_bytes"] == 1000  # only the changed file is new

    versions = ok_json(cli(files, "ls", "model", "--json"))  # global options also after the command
    assert [(v["version"], v["aliases"]) for v in versions] == [("v0", []), ("v1", ["latest", "best"])]

    moved = cli(files, "alias", "model:v0", "best")
    assert moved.returncode == 0 and "best -> uncategorized/model:v0" in moved.stdout
    shown = ok_json(cli(files, "--json", "show", "model:best"))
    assert shown["id"] == "uncategorized/model:v0" and shown["aliases"] == ["best"]
    assert shown["metadata"] == {"acc": 0.91, "arch": "resnet"}  # JSON when it parses, else a string
    assert shown["description"] == "first" and shown["run"] and shown["created_by"] and len(shown["digest"]) == 64
    assert [e["path"] for e in shown["entries"]] == ["model.bin", "tok/a.json", "tok/b.txt"]

    colls = ok_json(cli(files, "--json", "ls"))
    assert [(c["project"], c["name"], c["type"]) for c in colls] == [("uncategorized", "model", "model")]


def test_download_diff_find_verify_and_tampering(files: Path) -> None:
    ok_json(cli(files, "--json", "log", "model", "model.bin", "tok", "--metadata", "acc=0.5"))
    (files / "model.bin").write_bytes(b"weights-v1" * 100)
    ok_json(cli(files, "--json", "log", "model", "model.bin", "tok", "--metadata", "acc=0.7"))

    dl = cli(files, "download", "model:v0", "-o", "out")
    assert dl.returncode == 0, dl.stderr
    assert Path(dl.stdout.strip()) == files / "out"
    assert (files / "out" / "model.bin").read_bytes() == b"weights-v0" * 100
    assert (files / "out" / "tok" / "a.json").read_text() == '{"vocab": 3}'

    diff = ok_json(cli(files, "--json", "diff", "model:v0", "model:v1"))
    assert diff["changed"] == ["model.bin"] and diff["added"] == diff["removed"] == []
    assert diff["metadata"] == {"acc": {"from": 0.5, "to": 0.7}}

    found = ok_json(cli(files, "--json", "find", "tok/a.json"))
    assert sorted((f["id"], f["entry"]) for f in found) == [
        ("uncategorized/model:v0", "tok/a.json"), ("uncategorized/model:v1", "tok/a.json")]

    good = cli(files, "verify", "model:v1")
    assert good.returncode == 0 and "verified" in good.stdout

    digest = next(e["digest"] for e in ok_json(cli(files, "--json", "show", "model:v1"))["entries"]
                  if e["path"] == "model.bin")
    blob = files / "reg" / "blobs" / digest[:2] / digest[2:]
    blob.chmod(blob.stat().st_mode | stat.S_IWUSR)
    blob.write_bytes(b"X" * blob.stat().st_size)  # same size, other bytes
    bad = cli(files, "verify", "model:v1")
    assert bad.returncode == 5
    assert bad.stderr.startswith("nb-registry: error:") and "model.bin" in bad.stderr
    assert cli(files, "verify", "model:v0").returncode == 0  # the other version's blobs are intact


def test_unknown_alias_exit_code_and_message(files: Path) -> None:
    ok_json(cli(files, "--json", "log", "model", "model.bin", "--alias", "best"))
    missing = cli(files, "show", "model:production")
    assert missing.returncode == 3
    assert "production" in missing.stderr and "latest" in missing.stderr and "best" in missing.stderr
    as_json = cli(files, "--json", "download", "model:production")
    assert as_json.returncode == 3 and json.loads(as_json.stdout)["error"]["exit_code"] == 3
    usage = cli(files, "log", "model")  # no PATHS: an argparse usage error
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_gc_dry_run_then_yes(files: Path) -> None:
    ok_json(cli(files, "--json", "log", "model", "model.bin", "tok"))
    from nb_registry.api import open_registry

    reg = open_registry(str(files / "reg"))
    orphan, _ = reg.blobs.put_bytes(b"nothing references me")
    old = time.time() - 7200  # older than gc's grace period for in-flight writes
    for p in (files / "reg" / "blobs").rglob("*"):
        if p.is_file():
            os.utime(p, (old, old))

    dry = ok_json(cli(files, "--json", "gc"))
    assert dry["dry_run"] is True and dry["digests"] == [orphan] and dry["blobs"] == 1
    assert reg.blobs.exists(orphan)

    done = ok_json(cli(files, "--json", "gc", "--yes"))
    assert done["dry_run"] is False and done["digests"] == [orphan]
    assert not reg.blobs.exists(orphan)
    assert cli(files, "verify", "model").returncode == 0  # what a version needs survived


# -- in-process: parsing and the smaller commands ----------------------------------------------------
def test_argument_parsers() -> None:
    assert _key_value("lr=0.01") == ("lr", 0.01)
    assert _key_value("tags=[1, 2]") == ("tags", [1, 2])
    assert _key_value("name=resnet=50") == ("name", "resnet=50")
    assert _filter_expr("config.lr<0.01") == ("config.lr", "$lt", 0.01)
    assert _filter_expr("summary.acc>=0.9") == ("summary.acc", "$gte", 0.9)
    assert _filter_expr("state=finished") == ("state", "$eq", "finished")
    assert _filter_expr("tags~baseline") == ("tags", "$contains", "baseline")
    assert _filter_expr("job_type!=cli") == ("job_type", "$ne", "cli")
    for bad in ("novalue", "=3"):
        with pytest.raises(argparse.ArgumentTypeError):
            _key_value(bad)
    with pytest.raises(argparse.ArgumentTypeError):
        _filter_expr("config.lr")


def test_no_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "examples:" in out and "nb-registry log model" in out and "exit codes:" in out and "7  storage" in out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["log"], ["--root", str(tmp_path), "log", "m", "f", "--metadata", "x"], ["nope"],
                 ["--root", str(tmp_path), "runs", "--filter", "config.lr"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
    capsys.readouterr()
    code, out, err = run_main(capsys, tmp_path / "reg", "log", "bad name!", str(tmp_path))
    assert code == 2 and "invalid artifact name" in err and out == ""
    code, out, err = run_main(capsys, tmp_path / "reg", "log", "m", str(tmp_path / "missing.bin"))
    assert code == 3 and "missing.bin" in err
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0 and "exit codes:" in capsys.readouterr().out


def test_alias_remove_and_json_error_document(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = files / "reg"
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"), "--alias", "best")[0] == 0
    code, out, _ = run_main(capsys, root, "--json", "alias", "m", "best", "--remove")
    assert code == 0 and json.loads(out)["removed"] is True
    code, out, err = run_main(capsys, root, "--json", "alias", "m", "best", "--remove")
    assert code == 3 and "no alias 'best'" in err
    assert json.loads(out) == {"error": {"type": "NotFoundError", "message": err.split("error: ", 1)[1].strip(),
                                         "exit_code": 3}}
    code, out, _ = run_main(capsys, root, "find", "0" * 64)
    assert code == 0 and "no artifact version" in out


def test_text_output(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = files / "reg"
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"), "--metadata", "acc=0.5")[0] == 0
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"), str(files / "tok"), "--metadata", "acc=0.6")[0] == 0
    code, out, _ = run_main(capsys, root, "show", "m:v1")
    assert code == 0 and ["metadata.acc", "0.6"] in [line.split() for line in out.splitlines()]
    assert "tok/a.json" in out and "uncategorized/m:v1" in out
    fields = {line.split()[0]: line.split()[1:] for line in out.split("\n\n")[0].splitlines()}
    assert fields["version"] == ["v1"] and fields["size"] == ["1018", "B"], fields  # as the rest of the output says them
    code, out, _ = run_main(capsys, root, "diff", "m:v0", "m:v1")
    assert "+ tok/a.json" in out and "~ metadata.acc: 0.5 -> 0.6" in out and "model.bin" not in out
    code, out, _ = run_main(capsys, root, "ls")
    assert out.splitlines()[1].split()[:3] == ["uncategorized", "m", "model"]
    code, out, _ = run_main(capsys, root, "ls", "m")
    assert out.splitlines()[2].split()[:2] == ["v1", "latest"]
    code, out, _ = run_main(capsys, root, "gc")
    assert code == 0 and "would remove 0 blob(s)" in out and "dry run" in out


# -- in-process: the issue-3 commands ----------------------------------------------------------------
def test_runs_filter_and_sort(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import nb_registry as nbr

    root = str(tmp_path / "reg")
    for lr, acc, tags in [(0.1, 0.7, []), (0.001, 0.95, ["baseline"]), (0.005, 0.9, [])]:
        with nbr.init(project="hpo", job_type="trial", config={"lr": lr}, tags=tags, root=root) as run:
            run.log({"acc": acc})
    code, out, err = run_main(capsys, tmp_path / "reg", "--json", "runs", "--filter", "config.lr<0.01", "--sort=-summary.acc")
    assert code == 0, err
    assert [r["summary.acc"] for r in json.loads(out)] == [0.95, 0.9]
    code, out, _ = run_main(capsys, tmp_path / "reg", "--project", "hpo", "runs", "--filter", "tags~baseline")
    assert code == 0 and "0.001" in out and "0.005" not in out
    code, _, err = run_main(capsys, tmp_path / "reg", "runs", "--filter", "config.nope=1")
    assert code == 2 and "unknown field" in err


def test_lineage_link_registry_promote(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = files / "reg"
    assert run_main(capsys, root, "log", "data", str(files / "tok"), "--type", "dataset")[0] == 0
    assert run_main(capsys, root, "log", "model", str(files / "model.bin"), "--ref", "data:latest")[0] == 0

    code, out, err = run_main(capsys, root, "lineage", "model", "--json")
    graph = json.loads(out)
    kinds = {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}
    assert ("artifact:uncategorized/data:v0", "artifact:uncategorized/model:v0", "depends-on") in kinds
    assert any(k == "used" and s == "artifact:uncategorized/data:v0" for s, _, k in kinds)
    code, out, _ = run_main(capsys, root, "lineage", "model")
    assert code == 0 and out.startswith("artifact model:v0") and "<depends-on> artifact data:v0" in out
    code, out, _ = run_main(capsys, root, "lineage", "data", "--down", "--depth", "1")
    assert code == 0 and "model:v0" in out

    code, out, err = run_main(capsys, root, "--json", "link", "model:latest", "model-registry/clf", "--alias", "staging")
    assert code == 0, err
    assert json.loads(out)["linked_as"] == "model-registry/clf:v0"
    code, out, _ = run_main(capsys, root, "--json", "registry", "ls")
    assert [(m["name"], m["aliases"]) for m in json.loads(out)] == [("clf", {"staging": 0})]
    code, out, _ = run_main(capsys, root, "promote", "clf:staging", "production")
    assert code == 0 and "production -> v0" in out
    code, out, _ = run_main(capsys, root, "--json", "registry", "show", "clf")
    shown = json.loads(out)
    assert shown["aliases"] == {"staging": 0, "production": 0}
    assert shown["versions"][0]["artifact"] == "uncategorized/model:v0"
    code, out, _ = run_main(capsys, root, "--json", "registry", "history", "clf")
    assert [(h["alias"], h["to"]) for h in json.loads(out)] == [("staging", 0), ("production", 0)]
    code, _, err = run_main(capsys, root, "promote", "clf:nope", "production")
    assert code == 3 and "staging" in err
    code, _, err = run_main(capsys, root, "registry", "show", "nope")
    assert code == 3 and "clf" in err

    # the text output says versions as vN everywhere, aliases as alias=vN, times to the second
    code, out, _ = run_main(capsys, root, "registry", "ls")
    assert code == 0 and "production=v0,staging=v0" in out and "{" not in out, out
    code, out, _ = run_main(capsys, root, "registry", "show", "clf")
    assert "production=v0,staging=v0" in out and "{" not in out.split("\n\n")[0], out
    code, out, _ = run_main(capsys, root, "registry", "history", "clf")
    lines = out.splitlines()
    assert lines[0].split() == ["ALIAS", "FROM", "TO", "BY", "AT"], out
    assert lines[1].split()[:3] == ["staging", "-", "v0"] and lines[2].split()[:3] == ["production", "-", "v0"], out
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", lines[1]) and "+00:00" not in out, out


def test_retention_policy_then_gc_dry_run(tmp_path: Path) -> None:
    root = str(tmp_path / "reg")
    for i in range(5):
        f = tmp_path / f"m{i}.bin"
        f.write_text(f"weights {i}")
        assert main(["--root", root, "log", "ckpt", str(f), "--metadata", f"acc=0.{i}"]) == 0
    assert main(["--root", root, "retention", "ckpt", "--keep-best", "2", "--metric", "metadata.acc"]) == 0
    assert main(["--root", root, "retention", "ckpt", "--keep-best", "2"]) == 2  # a keep-best needs its metric
    import nb_registry as nbr
    from nb_registry.retention import plan_retention

    doomed = [v["artifact"] for v in plan_retention(nbr.Api(root=root).registry)]
    assert doomed == ["uncategorized/ckpt:v0", "uncategorized/ckpt:v1", "uncategorized/ckpt:v2"]


# -- registered-model aliases, alias removal by version ---------------------------------------------
def test_alias_on_model_registry_spec_moves_the_registered_models_alias(files: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = files / "reg"
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"), "--alias", "prod")[0] == 0
    (files / "model.bin").write_bytes(b"weights-v1" * 100)
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"))[0] == 0
    assert run_main(capsys, root, "link", "m:v0", "clf", "--alias", "staging")[0] == 0
    assert run_main(capsys, root, "link", "m:v1", "clf")[0] == 0

    code, out, err = run_main(capsys, root, "--json", "alias", "model-registry/clf:v0", "production")
    assert code == 0, err
    assert json.loads(out)["version"] == "v0" and json.loads(out)["artifact"] == "uncategorized/m:v0"
    code, out, err = run_main(capsys, root, "alias", "model-registry/clf:staging", "champion")  # SEL: a model alias
    assert code == 0 and "champion -> model-registry/clf:v0" in out, err
    code, out, err = run_main(capsys, root, "alias", "model-registry/clf:v1", "production")
    assert code == 0 and "production -> model-registry/clf:v1" in out, err
    code, out, _ = run_main(capsys, root, "--json", "registry", "show", "clf")
    assert json.loads(out)["aliases"] == {"staging": 0, "production": 1, "champion": 0}
    code, out, _ = run_main(capsys, root, "--json", "ls", "m")  # the source collection is untouched
    assert [(v["version"], v["aliases"]) for v in json.loads(out)] == [("v0", ["prod"]), ("v1", ["latest"])]
    code, _, err = run_main(capsys, root, "alias", "model-registry/clf:nope", "x")
    assert code == 3 and "staging" in err

    code, _, err = run_main(capsys, root, "alias", "model-registry/clf:v0", "production", "--remove")
    assert code == 2 and "is on v1, not v0" in err
    code, out, err = run_main(capsys, root, "alias", "model-registry/clf:v1", "production", "--remove")
    assert code == 0, err
    code, out, _ = run_main(capsys, root, "--json", "registry", "show", "clf")
    assert json.loads(out)["aliases"] == {"staging": 0, "champion": 0}
    code, out, _ = run_main(capsys, root, "--json", "ls", "m")
    assert [v["aliases"] for v in json.loads(out)] == [["prod"], ["latest"]]


def test_alias_remove_with_a_version_checks_the_alias_is_there(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = files / "reg"
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"), "--alias", "best")[0] == 0
    (files / "model.bin").write_bytes(b"weights-v1" * 100)
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"))[0] == 0
    code, out, err = run_main(capsys, root, "--json", "alias", "m:v1", "best", "--remove")
    assert code == 2 and "it is on uncategorized/m:v0" in err
    assert json.loads(out)["error"]["exit_code"] == 2
    assert run_main(capsys, root, "alias", "m:v1", "nothing", "--remove")[0] == 3
    code, out, _ = run_main(capsys, root, "--json", "show", "m:best")
    assert json.loads(out)["id"] == "uncategorized/m:v0", "the alias stayed where it was"
    code, _, err = run_main(capsys, root, "alias", "m:v0", "best", "--remove")
    assert code == 0, err
    assert run_main(capsys, root, "show", "m:best")[0] == 3


# -- roots that cannot be opened, roots that do not exist ---------------------------------------------
def _cli_root(tmp_path: Path, root: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "nb_registry", "--root", root, *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env or base, timeout=120)


def test_bad_root_is_one_line_error_not_a_traceback(tmp_path: Path) -> None:
    bad = _cli_root(tmp_path, "foo://x", "ls")
    assert bad.returncode == 2, bad.stderr
    assert "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
    assert "foo://x" in bad.stderr and "Protocol not known" in bad.stderr
    as_json = _cli_root(tmp_path, "foo://x", "--json", "show", "m")
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"]["exit_code"] == 2

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_EC2_METADATA_DISABLED="true", HOME=str(tmp_path))
    (tmp_path / "w.bin").write_bytes(b"weights")
    for args in (["ls"], ["--json", "runs"], ["log", "m", str(tmp_path / "w.bin")]):
        s3 = _cli_root(tmp_path, "s3://no-such-bucket-nbr/reg", *args, env=env)
        assert s3.returncode == 7, s3.stderr  # a StorageError
        assert "Traceback" not in s3.stderr and "credentials" in s3.stderr.lower()
        if "--json" in args:
            assert json.loads(s3.stdout)["error"]["exit_code"] == 7

    try:
        import gcsfs  # noqa: F401
    except ImportError:
        gs = _cli_root(tmp_path, "gs://bucket/reg", "--json", "ls")
        assert gs.returncode == 1 and "Traceback" not in gs.stderr and "gcsfs" in gs.stderr
        assert json.loads(gs.stdout)["error"]["exit_code"] == 1


@pytest.mark.parametrize("args", [["ls"], ["ls", "m"], ["show", "m"], ["find", "0" * 64], ["verify", "m"], ["runs"],
                                  ["lineage", "m"], ["registry", "ls"], ["registry", "show", "x"],
                                  ["registry", "history", "x"], ["gc"]])
def test_commands_on_a_root_that_does_not_exist_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       args: list[str]) -> None:
    root = tmp_path / "typo"
    code, out, err = run_main(capsys, root, "--json", *args)
    assert code == 3 and "does not exist" in err and str(root) in err
    assert json.loads(out)["error"]["exit_code"] == 3
    assert not root.exists(), "a read makes no registry"


def test_log_creates_the_root(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = files / "new" / "reg"
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"))[0] == 0
    assert run_main(capsys, root, "ls")[0] == 0


# -- strict JSON ----------------------------------------------------------------------------------------
def _strict(text: str) -> object:
    def refuse(name: str) -> object:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_json_output_is_strict_json(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import nb_registry as nbr

    root = files / "reg"
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"), "--metadata", "acc=NaN",
                    "--metadata", "loss=Infinity")[0] == 0
    with nbr.init(project="p", root=str(root)) as run:
        run.log({"loss": float("inf"), "acc": float("nan")})
    for args in (["show", "m"], ["ls", "m"], ["runs"], ["lineage", "m"], ["diff", "m:v0", "m:v0"]):
        code, out, err = run_main(capsys, root, "--json", *args)
        assert code == 0, err
        _strict(out)
    code, out, _ = run_main(capsys, root, "--json", "show", "m")
    assert _strict(out)["metadata"] == {"acc": None, "loss": None}  # type: ignore[index]
    code, out, _ = run_main(capsys, root, "--json", "runs", "--project", "p")
    assert _strict(out)[0]["summary.loss"] is None  # type: ignore[index]


def test_usage_errors_in_json_mode_print_the_error_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--json", "nope"], ["--json", "log", "m"], ["retention", "m", "--keep-best", "x", "--json"],
                 ["--json", "registry"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
        out = capsys.readouterr()
        doc = _strict(out.out)
        assert doc["error"]["exit_code"] == 2 and doc["error"]["message"] in out.err  # type: ignore[index]
    with pytest.raises(SystemExit):
        main(["nope"])
    assert capsys.readouterr().out == "", "without --json nothing goes to stdout"


# -- log: bad input leaves the registry as it was -------------------------------------------------------
def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != "cache"}


def test_log_with_bad_input_leaves_the_registry_unchanged(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = files / "reg"
    assert run_main(capsys, root, "log", "m", str(files / "model.bin"))[0] == 0
    (files / "empty").mkdir()
    (files / "other.bin").write_bytes(b"other weights")
    before = _snapshot(root)
    cases = [
        (2, ["log", "m", str(files / "other.bin"), "--alias", "v3"], "reserved"),
        (2, ["log", "m", str(files / "other.bin"), "--alias", "bad alias"], "invalid alias"),
        (2, ["log", "m", str(files / "other.bin"), "--type", "dataset"], "type 'model'"),
        (3, ["log", "m", str(files / "other.bin"), "--ref", "missing:latest"], "missing"),
        (3, ["log", "m", str(files / "other.bin"), "--ref", "m:v7"], "v7"),
        (2, ["log", "m", str(files / "empty")], "no files"),
        (3, ["log", "m", str(files / "nope.bin")], "nope.bin"),
        (2, ["log", "bad/pro ject/m", str(files / "other.bin")], ""),
    ]
    for code, args, words in cases:
        got, _, err = run_main(capsys, root, *args)
        assert got == code and words in err, (args, err)
        assert _snapshot(root) == before, f"{args} changed the registry"
    import nb_registry as nbr

    assert [r["state"] for r in nbr.Api(root=str(root)).runs().to_records()] == ["finished"]


# -- retention from the shell ---------------------------------------------------------------------------
def test_retention_counts_metric_and_wording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "reg"
    for i, acc in enumerate(["0.9", "0.8", '"n/a"', "0.7"]):
        f = tmp_path / f"m{i}.bin"
        f.write_text(f"weights {i}")
        assert run_main(capsys, root, "log", "ckpt", str(f), "--metadata", f"acc={acc}")[0] == 0
    code, _, err = run_main(capsys, root, "retention", "ckpt", "--keep-best", "2", "--metric", "metadata.accuracy")
    assert code == 2 and "metadata.accuracy" in err and "metadata fields that exist: metadata.acc" in err
    for bad in (["--keep-best", "0", "--metric", "acc"], ["--keep-last", "-1"], ["--keep-best", "two", "--metric", "acc"]):
        with pytest.raises(SystemExit) as e:
            main(["--root", str(root), "retention", "ckpt", *bad])
        assert e.value.code == 2
        assert ">= " in capsys.readouterr().err
    code, out, err = run_main(capsys, root, "retention", "ckpt", "--keep-last", "0")
    assert code == 0, err
    assert "keeps only the latest version" in out and "keeps ," not in out
    code, out, err = run_main(capsys, root, "retention", "ckpt", "--keep-best", "1", "--metric", "acc")
    assert code == 0 and "the best 1 by acc (max), plus the latest version" in out
    code, out, err = run_main(capsys, root, "gc")
    assert code == 0, err
    assert "uncategorized/ckpt:v2: metadata.acc is 'n/a', not a number" in out
    assert "  uncategorized/ckpt:v1" in out and "ckpt:v0  " not in out
