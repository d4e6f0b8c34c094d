"""``python -m nb_registry.demo``: the README's first command.

* ``python -m nb_registry.demo`` executes the ensemble walkthrough in a kernel (nbclient) on the default store
  (``NB_REGISTRY_ROOT``, else ``~/.nb_registry``; no configuration) and prints what it did: the registered models
  with their versions and aliases, what the ensemble depends on with its aliases, and where its files were
  downloaded. It saves the executed notebook in ``~/nb_registry-demo/`` (copies of the walkthroughs; or in
  ``--notebook-dir``), trusts the notebooks there for this user (as ``jupyter trust`` does: the demo made them),
  then opens JupyterLab on it, listening on 127.0.0.1 only, without the Jupyter news toast, and prints the URL
  (with its token); the Model Registry sidebar already shows what the run logged. Ctrl-C stops it.
* ``--headless`` only executes and summarizes (``--output executed.ipynb`` keeps the executed notebook);
  ``--lab`` only opens JupyterLab.

Without JupyterLab (or nbclient) installed, it says what to install and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Sequence

DEFAULT_NOTEBOOK = "ensemble_walkthrough.ipynb"
INSTALL_HINT = "pip install 'nb-registry[notebook]'  (or: pip install jupyterlab ipywidgets ipycytoscape nbclient ipykernel)"
LAB_MODULES = ("jupyterlab", "ipykernel", "ipywidgets", "ipycytoscape")
HEADLESS_MODULES = ("nbclient", "nbformat", "ipykernel", "ipywidgets", "ipycytoscape")


def missing_modules(names: Sequence[str]) -> list[str]:
    """The modules of ``names`` that cannot be imported here (checked without importing them)."""
    out = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(name)
    return out


def notebooks_dir() -> Path:
    """The walkthrough notebooks as shipped: ``notebooks/`` of a checkout, else the copy inside the package. The
    demo only reads them; what it runs and opens is in :func:`demo_dir`."""
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "notebooks", here / "notebooks"):
        if (folder / DEFAULT_NOTEBOOK).is_file():
            return folder
    raise FileNotFoundError(f"cannot find the walkthrough notebooks (looked in {here.parent / 'notebooks'} and "
                            f"{here / 'notebooks'})")


def demo_dir(args: argparse.Namespace) -> Path:
    """The folder JupyterLab opens: ``--notebook-dir``, else ``~/nb_registry-demo`` holding copies of the
    walkthroughs (made once; the demo's own run of the walkthrough replaces its copy each time)."""
    if args.notebook_dir:
        return Path(args.notebook_dir)
    target = Path.home() / "nb_registry-demo"
    target.mkdir(parents=True, exist_ok=True)
    for nb in notebooks_dir().glob("*.ipynb"):
        if not (target / nb.name).exists():
            shutil.copy2(nb, target / nb.name)
    return target


def trust(folder: Path) -> None:
    """Sign the walkthroughs in ``folder`` for this user, as ``jupyter trust`` does: the demo made or copied them
    itself, so JupyterLab shows their saved outputs and widgets without an "untrusted notebook" warning."""
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary()
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as e:  # noqa: BLE001 - a notebook that does not parse is not ours to trust
            print(f"nb_registry demo: not trusting {path.name}: {e}", file=sys.stderr)
            continue
        if not notary.check_signature(nb):
            notary.sign(nb)


def lab_settings(base: Path) -> Path:
    """JupyterLab settings overrides for the demo: no "Jupyter news" toast, no update check (whatever overrides
    this installation already has are kept)."""
    import json

    from jupyterlab.commands import get_app_dir

    overrides: dict[str, Any] = {}
    existing = Path(get_app_dir()) / "settings" / "overrides.json"
    if existing.is_file():
        try:
            overrides = json.loads(existing.read_text())
        except ValueError:
            overrides = {}
    notification = overrides.setdefault("@jupyterlab/apputils-extension:notification", {})
    notification.update(fetchNews="false", checkForUpdates=False)
    base.mkdir(parents=True, exist_ok=True)
    (base / "overrides.json").write_text(json.dumps(overrides, indent=2))
    return base


def free_port(preferred: int = 8888) -> int:
    """``preferred`` if nothing listens on it on 127.0.0.1, else a free port chosen by the OS."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


def lab_command(notebook_dir: str | os.PathLike[str], port: int, token: str, open_browser: bool = False,
                extra: Sequence[str] = ()) -> list[str]:
    """The ``jupyter lab`` command line: 127.0.0.1 only, a fixed port and token, ``--allow-root`` as root."""
    cmd = [sys.executable, "-m", "jupyterlab", "--ip", "127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={os.fspath(notebook_dir)}"]
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it
    return [*cmd, *extra]


def wait_for_server(port: int, token: str, proc: subprocess.Popen[Any] | None = None, timeout: float = 120.0) -> None:
    """Poll ``/api/status`` until the server answers; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with status {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"jupyter lab did not answer on {url} within {timeout:.0f} s")
        time.sleep(0.25)


def default_root() -> str:
    from .store import default_root as root

    return root()


def open_lab(args: argparse.Namespace) -> int:
    missing = missing_modules(LAB_MODULES)
    if missing:
        print(f"JupyterLab and the notebook widgets are not installed here (missing: {', '.join(missing)}).\n"
              f"Install them with:\n    {INSTALL_HINT}\n"
              "or run the walkthrough without a browser: python -m nb_registry.demo --headless", file=sys.stderr)
        return 2
    folder = demo_dir(args)
    if not (folder / args.notebook).is_file():
        print(f"no notebook {args.notebook!r} in {folder}", file=sys.stderr)
        return 2
    trust(folder)
    port = args.port or free_port()
    token = args.token or secrets.token_hex(16)
    settings = lab_settings(Path(tempfile.mkdtemp(prefix="nb_registry-demo-lab-")))
    cmd = lab_command(folder, port, token, open_browser=args.open,
                      extra=[f"--ServerApp.default_url=/lab/tree/{args.notebook}", "--ServerApp.log_level=WARN",
                             "--LabApp.log_level=WARN", f"--LabApp.app_settings_dir={settings}"])
    proc = subprocess.Popen(cmd)
    if hasattr(signal, "SIGTERM"):  # a plain kill of this process also stops the server it started
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        wait_for_server(port, token, proc)
        url = f"http://127.0.0.1:{port}/lab/tree/{args.notebook}?token={token}"
        print(f"\nnb_registry demo: JupyterLab is running on {folder}\n"
              f"  open      {url}\n"
              f"  registry  {default_root()}  (set NB_REGISTRY_ROOT to use another)\n"
              f"  stop      Ctrl-C\n", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as e:
        print(f"nb_registry demo: {e}", file=sys.stderr)
        return 1
    finally:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: JupyterLab stops its kernels and exits, without asking
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(settings, ignore_errors=True)


def notebook_project(nb: Any) -> str | None:
    """The ``PROJECT = "..."`` a walkthrough sets in its setup cell."""
    for cell in nb.cells:
        m = re.search(r'^PROJECT\s*=\s*["\']([^"\']+)["\']', cell.source, re.M) if cell.cell_type == "code" else None
        if m:
            return m.group(1)
    return None


def _first_error(nb: Any) -> str | None:
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
            if out.get("output_type") == "stream" and out.get("name") == "stderr" and "UsageError" in out.get("text", ""):
                return f"cell {i}: {out['text'].strip()}"
    return None


def summarize(project: str | None) -> list[str]:
    """What the walkthrough left in the registry: registered models linking to ``project``, their versions and
    aliases, what the ensemble depends on, and where the files were downloaded."""
    import nb_registry as nbr

    api = nbr.Api(project=project)
    lines = [f"registry  {api.registry.url}"]
    for rm in sorted(api.registered_models(), key=lambda m: m.name):
        versions = [v for v in rm.versions() if project is None or v["artifact"].startswith(f"{project}/")]
        if not versions:
            continue
        lines.append(f"registered model  model-registry/{rm.name}")
        for v in versions:
            aliases = f"  [{', '.join(v['aliases'])}]" if v["aliases"] else ""
            lines.append(f"    {v['version']} -> {v['artifact']}{aliases}")
    if project and api.artifact_exists("ensemble:latest"):
        ens = api.artifact("ensemble:latest")
        lines.append(f"ensemble  {ens.id}  aliases: {', '.join(ens.aliases)}")
        for dep in ens.dependencies:
            aliases = api.artifact(dep).aliases
            lines.append(f"    depends on {dep}" + (f"  aliases: {', '.join(aliases)}" if aliases else ""))
        folder = ens.download(refs=True)
        files = sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())
        lines.append(f"downloaded to {folder}: {', '.join(files)}")
    return lines


def run_headless(args: argparse.Namespace) -> int:
    missing = missing_modules(HEADLESS_MODULES)
    if missing:
        print(f"running the walkthrough needs {', '.join(missing)}, which are not installed.\n"
              f"Install them with:\n    {INSTALL_HINT}", file=sys.stderr)
        return 2
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from traitlets.config import Config

    folder = Path(args.notebook_dir) if args.notebook_dir else notebooks_dir()  # the walkthrough as shipped
    path = folder / args.notebook
    if not path.is_file():
        print(f"no notebook {args.notebook!r} in {folder}", file=sys.stderr)
        return 2
    nb = nbformat.read(path, as_version=4)
    print(f"executing {path}\n  registry {default_root()}", flush=True)
    started = time.monotonic()
    config, sockets = Config(), None
    if os.name == "posix":  # local sockets: no "running over TCP without encryption" warning from the kernel
        sockets = tempfile.mkdtemp(prefix="nb_registry-kernel-")
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "kernel")  # absolute: the kernel runs in another folder
    client = NotebookClient(nb, kernel_name="python3", timeout=args.timeout, store_widget_state=True,
                            resources={"metadata": {"path": str(folder)}}, config=config)
    failed = None
    try:
        client.execute(env=dict(os.environ, JPY_SESSION_NAME=str(path)))  # as Jupyter's server names the session
    except CellExecutionError:
        failed = _first_error(nb) or "a cell failed"
    finally:
        if sockets:
            shutil.rmtree(sockets, ignore_errors=True)
    if args.output:
        nbformat.write(nb, args.output)
        print(f"executed notebook saved to {args.output}")
    elif not args.headless and not failed:  # JupyterLab opens it next: the outputs of this run, on this registry
        nbformat.write(nb, demo_dir(args) / args.notebook)
    if failed:
        print(f"the walkthrough stopped at {failed}", file=sys.stderr)
        return 1
    print(f"done in {time.monotonic() - started:.1f} s")
    for line in summarize(notebook_project(nb)):
        print(line)
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m nb_registry.demo",
                                description="Run the ensemble walkthrough and say what it did, then open it in JupyterLab.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true", help="only execute the notebook in a kernel and summarize")
    mode.add_argument("--lab", action="store_true", help="only open JupyterLab on the notebook")
    p.add_argument("--notebook", default=DEFAULT_NOTEBOOK, help=f"notebook to open or run (default {DEFAULT_NOTEBOOK})")
    p.add_argument("--notebook-dir", default=None, help="folder with the notebooks (default: the walkthroughs)")
    p.add_argument("--port", type=int, default=None, help="JupyterLab port (default 8888, or a free one)")
    p.add_argument("--token", default=None, help="JupyterLab token (default: a random one)")
    p.add_argument("--open", action="store_true", help="also open a browser")
    p.add_argument("--output", default=None, help="with --headless: save the executed notebook here")
    p.add_argument("--timeout", type=int, default=300, help="with --headless: seconds allowed per cell")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.lab:
        return open_lab(args)
    status = run_headless(args)
    if args.headless or status != 0:
        return status
    return open_lab(args)


if __name__ == "__main__":
    raise SystemExit(main())
