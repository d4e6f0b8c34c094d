"""Re-execute the walkthrough notebooks and save them with their outputs and widget state.

    bash scripts/regen_notebooks.sh                       # every walkthrough
    bash scripts/regen_notebooks.sh experiment_tracking.ipynb

Each notebook runs in a fresh kernel as a new user's would: in an empty scratch folder, with a temporary HOME and
no NB_REGISTRY_* variable, so the registry is the default ``~/.nb_registry`` (shown as that: outputs abbreviate
the home folder to ``~``) and nothing of this machine's (its paths, its registry) ends up in the saved outputs.
No timing metadata is saved. tests/test_notebooks.py checks the saved files: executed, clean, no machine paths.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT_ROOT / "notebooks"
WALKTHROUGHS = ["ensemble_walkthrough.ipynb", "model_registry_walkthrough.ipynb", "experiment_tracking.ipynb",
               "training_integrations.ipynb"]


def regenerate(name: str, timeout: int = 300) -> None:
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    scratch = Path(tempfile.mkdtemp(prefix="nbr-regen-"))
    try:
        (scratch / "home").mkdir()
        (scratch / "work").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NB_REGISTRY_", "JPY_"))}
        env.update(HOME=str(scratch / "home"), JPY_SESSION_NAME=name,
                   PYTHONPATH=os.pathsep.join(p for p in [str(PROJECT_ROOT), env.get("PYTHONPATH", "")] if p))
        config = Config()
        config.KernelManager.transport = "ipc"  # local sockets: no "running over TCP without encryption" warning
        config.KernelManager.ip = str(scratch / "kernel")
        client = NotebookClient(nb, kernel_name="python3", timeout=timeout, store_widget_state=True, record_timing=False,
                                resources={"metadata": {"path": str(scratch / "work")}}, config=config)
        client.execute(env=env)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)  # timings of an earlier run
        nbformat.validate(nb)
        nbformat.write(nb, path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", default=WALKTHROUGHS, help="notebooks in notebooks/ (default: the walkthroughs)")
    p.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    args = p.parse_args(argv)
    for name in args.names:
        print(f"executing notebooks/{name}", flush=True)
        regenerate(name, args.timeout)
    print("done: check with  .venv/bin/python -m pytest -q tests/test_notebooks.py -k saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
