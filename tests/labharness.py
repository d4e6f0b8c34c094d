"""What the browser tests share: Debian's chromium and its flags, the built lab extension, and the
JupyterLab settings that keep the page clean (see ../shared/JUPYTER.md for why each is needed)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

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


def require_chromium() -> None:
    """The browser tests need Debian's chromium, which scripts/test.sh installs: its absence is a failure."""
    import pytest

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: scripts/test.sh installs it (apt-get install -y chromium)")


def require_built_extension() -> None:
    """The production build of the lab extension is committed: its absence is a failure, not a skip."""
    import pytest

    if not (BUILT / "package.json").exists():
        pytest.fail("the lab extension is not built: cd labextension && jlpm install && jlpm build:prod")


@contextlib.contextmanager
def chromium_page(viewport: dict[str, int]) -> Iterator[tuple[Any, list[str]]]:
    """A page in headless Debian chromium (Playwright never downloads a browser here), and the list
    of JavaScript errors the page raises."""
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
        finally:
            browser.close()
