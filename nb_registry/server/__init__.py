"""The Jupyter server extension: a JSON REST API over the registry under ``/nb-registry/api/``.

Enabled on install by ``jupyter-config/server-config/nb_registry.json``. The registry is the
one configured for the server (``c.NbRegistry.root``, else ``NB_REGISTRY_ROOT``, else the
default store), opened once and shared by every handler.
"""

from __future__ import annotations

from typing import Any

from traitlets import Unicode
from traitlets.config import Configurable


class NbRegistry(Configurable):
    """Server-side settings of nb_registry."""

    root = Unicode(None, allow_none=True, config=True,
                   help="Registry root (a folder, an fsspec URL or postgresql://...). Default: NB_REGISTRY_ROOT, "
                        "else ~/.nb_registry.")
    blobs = Unicode(None, allow_none=True, config=True,
                    help="Where the blobs are, for a PostgreSQL root (any fsspec URL). Default: NB_REGISTRY_BLOBS.")
    project = Unicode(None, allow_none=True, config=True, help="Default project for artifact specs without one.")


def load(server_app: Any) -> None:
    from ..api import Api
    from .handlers import setup_handlers

    config = NbRegistry(config=server_app.config)
    api = Api(root=config.root, project=config.project, blobs=config.blobs)
    server_app.web_app.settings["nb_registry_api"] = api
    setup_handlers(server_app.web_app)
    server_app.log.info("nb_registry: serving the registry at %s under /nb-registry/api/", api.registry.url)
