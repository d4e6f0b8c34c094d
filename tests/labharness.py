"""What the browser tests share: Debian's chromium and its flags, the built lab extension, and the
JupyterLab settings that keep the page clean (see ../shared/JUPYTER.md for why each is needed)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUILT = PROJECT_ROOT / "nb_registry" / "labextension"
CHROMIUM = os.environ.get("NB_REGISTRY_CHROMIUM", "/usr/bin/chromium")
# without the background-networking flags chromium keeps trying hosts this closed network refuses
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def settings_dir(base: Path) -> Path:
    """User settings that turn off the "Jupyter news" toast (it covers the bottom right of the page)."""
    folder = base / "user-settings" / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True)
    (folder / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    return base / "user-settings"


def jupyter_path(base: Path) -> Path:
    """A data dir whose ``labextensions/nb-registry`` is the built extension of this checkout."""
    folder = base / "jupyter-data" / "labextensions"
    folder.mkdir(parents=True)
    (folder / "nb-registry").symlink_to(BUILT, target_is_directory=True)
    return base / "jupyter-data"
