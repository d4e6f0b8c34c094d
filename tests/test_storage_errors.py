"""A storage back end's failure is one StorageError (exit 7, HTTP 502, one UsageError paragraph) naming the URL,
what failed and how to fix it, with the back end's exception chained. Against real S3-protocol servers: the suite's
moto server (no authentication) for a missing bucket, a second moto server with authentication on
(``INITIAL_NO_AUTH_ACTION_COUNT=0``) for wrong credentials, no credentials at all, and a closed local port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import make_file

import nb_registry as nbr
from nb_registry import Artifact, StorageError
from nb_registry.store.storage_errors import storage_errors, translate

PROJECT_ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytest_jupyter.jupyter_server"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def auth_endpoint() -> Iterator[str]:
    """A moto S3 server (its own process) that checks credentials: unknown keys get 403 InvalidAccessKeyId."""
    port = _free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="0")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the moto server with authentication did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


def aws_env(tmp_path: Path, endpoint: str, **creds: str) -> dict[str, str]:
    """The process environment with no AWS credentials anywhere (no variables, no files, no instance metadata),
    then ``creds``; s3fs reaches ``endpoint`` through AWS_ENDPOINT_URL, and tries once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"), AWS_CONFIG_FILE=str(tmp_path / "no-config"),
               AWS_EC2_METADATA_DISABLED="true", AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION="us-east-1",
               AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard", **creds)
    return env


@pytest.fixture
def use_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Switch this process to an environment from :func:`aws_env` (s3fs caches its clients: cleared around it)."""
    import s3fs

    def switch(env: dict[str, str]) -> None:
        for k in [k for k in os.environ if k.startswith("AWS_")]:
            monkeypatch.delenv(k)
        for k, v in env.items():
            if k.startswith("AWS_"):
                monkeypatch.setenv(k, v)
        s3fs.S3FileSystem.clear_instance_cache()

    yield switch
    s3fs.S3FileSystem.clear_instance_cache()


def closed_endpoint() -> str:
    return f"http://127.0.0.1:{_free_port()}"  # nothing listens there once the probe socket is closed


def assert_one_line(err: StorageError, url: str, kind: str, *needles: str) -> None:
    text = str(err)
    assert "\n" not in text and url in text, text
    assert err.kind == kind and err.url == url, (err.kind, text)
    assert err.__cause__ is not None, "the back end's exception is chained"
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


# -- the API --------------------------------------------------------------------------------------------------
URL = "s3://bucket/big/shard-000.bin"


def test_no_credentials(tmp_path: Path, s3_endpoint: str, use_env: Any) -> None:
    use_env(aws_env(tmp_path, s3_endpoint))
    with pytest.raises(StorageError) as info:
        Artifact("classifier").add_reference(URL)
    assert_one_line(info.value, URL, "credentials", "no credentials", "AWS_ACCESS_KEY_ID", "~/.aws/credentials")
    assert type(info.value.__cause__).__name__ == "NoCredentialsError"


def test_wrong_credentials(tmp_path: Path, auth_endpoint: str, use_env: Any) -> None:
    use_env(aws_env(tmp_path, auth_endpoint, AWS_ACCESS_KEY_ID="AKIAWRONGWRONGWRONG", AWS_SECRET_ACCESS_KEY="nope"))
    with pytest.raises(StorageError) as info:
        Artifact("classifier").add_reference(URL)
    assert_one_line(info.value, URL, "denied", "access was denied", "AWS_SECRET_ACCESS_KEY")


def test_missing_bucket(tmp_path: Path, s3_endpoint: str, use_env: Any) -> None:
    use_env(aws_env(tmp_path, s3_endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"))
    url = "s3://no-such-bucket-nbr/data/"
    with pytest.raises(StorageError) as info:
        Artifact("data").add_reference(url)
    assert_one_line(info.value, url, "bucket", "bucket does not exist", "bucket name")


def test_missing_object_in_an_existing_bucket_is_not_a_storage_error(s3_bucket: str, s3_options: dict[str, Any],
                                                                    tmp_path: Path, use_env: Any) -> None:
    use_env(aws_env(tmp_path, s3_options["client_kwargs"]["endpoint_url"], AWS_ACCESS_KEY_ID="testing",
                    AWS_SECRET_ACCESS_KEY="testing"))
    with pytest.raises(nbr.NotFoundError, match="does not exist"):
        Artifact("data").add_reference(f"s3://{s3_bucket}/nope.bin")


def test_unreachable_endpoint(tmp_path: Path, use_env: Any) -> None:
    endpoint = closed_endpoint()
    use_env(aws_env(tmp_path, endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"))
    with pytest.raises(StorageError) as info:
        Artifact("classifier").add_reference(URL)
    assert_one_line(info.value, URL, "unreachable", "could not be reached", "AWS_ENDPOINT_URL", endpoint)


def test_translate_leaves_other_errors_alone(tmp_path: Path) -> None:
    assert translate(PermissionError(13, "Permission denied", str(tmp_path)), str(tmp_path)) is None
    assert translate(ValueError("bad"), "s3://b/k") is None
    assert translate(nbr.LockTimeoutError("held"), "s3://b/k") is None  # a TimeoutError, but ours
    with pytest.raises(KeyError):
        with storage_errors("s3://b/k"):
            raise KeyError("x")


def _log_s3_reference(tmp_path: Path, s3_bucket: str, use_env: Any, endpoint: str) -> tuple[str, str]:
    """A local registry holding a version that references s3://<bucket>/w.bin (logged with credentials)."""
    import s3fs

    use_env(aws_env(tmp_path, endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"))
    s3fs.S3FileSystem().pipe(f"{s3_bucket}/w.bin", b"weights")
    root = str(tmp_path / "reg")
    art = Artifact("clf", type="model")
    art.add_reference(f"s3://{s3_bucket}/w.bin")
    nbr.Registry(root).log(art, project="p")
    return root, f"s3://{s3_bucket}/w.bin"


def test_download_of_a_reference_without_credentials(tmp_path: Path, s3_bucket: str, s3_endpoint: str,
                                                     use_env: Any) -> None:
    root, url = _log_s3_reference(tmp_path, s3_bucket, use_env, s3_endpoint)
    use_env(aws_env(tmp_path, s3_endpoint))
    logged = nbr.Api(root=root, project="p").artifact("clf:latest")
    with pytest.raises(StorageError) as info:
        logged.download(str(tmp_path / "out"), refs=True)
    assert_one_line(info.value, url, "credentials", "AWS_ACCESS_KEY_ID")
    assert not (tmp_path / "out" / "w.bin").exists()


# -- the faces ------------------------------------------------------------------------------------------------
def cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(env, PYTHONPATH=str(PROJECT_ROOT), HOME=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "nb_registry", *args], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)


def test_cli_download_refs_without_credentials_is_exit_7_and_one_line(tmp_path: Path, s3_bucket: str,
                                                                      s3_endpoint: str, use_env: Any) -> None:
    root, url = _log_s3_reference(tmp_path, s3_bucket, use_env, s3_endpoint)
    out = cli(tmp_path, aws_env(tmp_path, s3_endpoint), "--root", root, "--project", "p", "download", "clf:latest",
              "--refs", "-o", str(tmp_path / "out"))
    assert out.returncode == 7, out.stderr
    assert out.stderr.startswith(f"nb-registry: error: cannot read {url}: no credentials") and out.stderr.count("\n") == 1, out.stderr
    assert url in out.stderr and "AWS_ACCESS_KEY_ID" in out.stderr


@pytest.mark.parametrize("case", ["no credentials", "unreachable"])
def test_cli_on_a_bucket_root(tmp_path: Path, s3_endpoint: str, case: str) -> None:
    endpoint = s3_endpoint if case == "no credentials" else closed_endpoint()
    creds = {} if case == "no credentials" else {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
    root = "s3://team-bucket/registry"
    out = cli(tmp_path, aws_env(tmp_path, endpoint, **creds), "--root", root, "--json", "ls")
    assert out.returncode == 7, out.stderr
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1 and root in out.stderr, out.stderr
    assert ("AWS_ACCESS_KEY_ID" if case == "no credentials" else "could not be reached") in out.stderr
    assert json.loads(out.stdout)["error"] == {"type": "StorageError", "message": out.stderr[len("nb-registry: error: "):].strip(),
                                               "exit_code": 7}


def test_magic_without_credentials_is_one_paragraph(tmp_path: Path, s3_bucket: str, s3_endpoint: str, use_env: Any,
                                                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from IPython.core.error import UsageError
    from IPython.testing.globalipapp import get_ipython

    root, url = _log_s3_reference(tmp_path, s3_bucket, use_env, s3_endpoint)
    use_env(aws_env(tmp_path, s3_endpoint))
    monkeypatch.chdir(tmp_path)
    shell = get_ipython()
    shell.run_line_magic("load_ext", "nb_registry")
    try:
        shell.run_line_magic("registry", f"--root {root} --project p")
        result = shell.run_cell("folder = %use clf:latest --path --refs")
        assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
        text = str(result.error_in_exec)
        assert text.startswith(f"StorageError: cannot read {url}: no credentials") and url in text and "\n" not in text, text
        assert "Traceback" not in capsys.readouterr().out
    finally:
        shell.run_line_magic("unload_ext", "nb_registry")


@pytest.fixture
def jp_server_config(tmp_path: Path, s3_endpoint: str, use_env: Any) -> Any:
    from traitlets.config import Config

    use_env(aws_env(tmp_path, s3_endpoint))  # the server process reads the same (credential-less) environment
    return Config({"ServerApp": {"jpserver_extensions": {"nb_registry": True}},
                   "NbRegistry": {"root": "s3://team-bucket/registry", "project": "p"}})


async def test_rest_without_credentials_is_502_with_the_message(jp_fetch: Any) -> None:
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nb-registry", "api", "models")
    assert info.value.code == 502
    body = json.loads(info.value.response.body)
    assert body["status"] == 502 and "s3://team-bucket/registry" in body["error"] and "AWS_ACCESS_KEY_ID" in body["error"]
