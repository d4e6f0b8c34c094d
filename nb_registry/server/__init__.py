"""The Jupyter server extension: a JSON REST API over the registry under ``/nb-registry/api/``, and, when the
server's owner turns it on, an automation worker.

Enabled on install by ``jupyter-config/server-config/nb_registry.json``. The registry is the
one configured for the server (``c.NbRegistry.root``, else ``NB_REGISTRY_ROOT``, else the
default store), opened once and shared by every handler.

With ``c.NbRegistry.serve_automations = True`` (off by default) the server also delivers the registry's
events to the hooks of its owner's own configuration (:mod:`nb_registry.automations`), as
``nb-registry automations serve`` would: on a thread of its own, never on the event loop, stopped when
the server stops.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Unicode

STOP_WAIT = 10.0  # seconds the server waits at shutdown for a delivery in progress


class NbRegistry(ExtensionApp):
    """Server-side settings of nb_registry (``c.NbRegistry.*``)."""

    name = "nb_registry"

    root = Unicode(None, allow_none=True, config=True,
                   help="Registry root (a folder, an fsspec URL or postgresql://...). Default: NB_REGISTRY_ROOT, "
                        "else ~/.nb_registry.")
    blobs = Unicode(None, allow_none=True, config=True,
                    help="Where the blobs are, for a PostgreSQL root (any fsspec URL). Default: NB_REGISTRY_BLOBS.")
    project = Unicode(None, allow_none=True, config=True, help="Default project for artifact specs without one.")
    serve_automations = Bool(False, config=True, help=(
        "Run an automation worker in this server: deliver the registry's events (alias moves, links) to the hooks "
        "of the server owner's own configuration (~/.config/nb_registry/automations.json), as "
        "'nb-registry automations serve' does. Off by default: nothing runs unless you turn it on."))
    automations_poll = Float(2.0, config=True, help="Seconds between two looks for new events (serve_automations).")

    def initialize_settings(self) -> None:
        from ..api import Api

        api = Api(root=self.root, project=self.project, blobs=self.blobs)
        self.settings["nb_registry_api"] = api
        self.automations: AutomationThread | None = None
        if self.serve_automations:
            # its own Api: the worker shares no cache with the handlers' threads, as a separate process would not
            self.automations = AutomationThread(Api(root=self.root, project=self.project, blobs=self.blobs).registry,
                                                self.automations_poll, self.log)
            self.automations.start()
        self.settings["nb_registry_worker"] = self.automations
        self.log.info("nb_registry: serving the registry at %s under /nb-registry/api/%s", api.registry.url,
                      f"; delivering its events to your hooks ({self.automations.name})" if self.automations else "")

    def initialize_handlers(self) -> None:
        from .handlers import setup_handlers

        setup_handlers(self.serverapp.web_app)

    async def stop_extension(self) -> None:
        if self.automations is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.automations.stop, STOP_WAIT)


class AutomationThread:
    """An automation worker (:class:`nb_registry.automations.Worker`) serving on a daemon thread."""

    def __init__(self, registry: Any, poll: float, log: Any) -> None:
        from ..automations import Worker

        self.worker, self.poll, self.log = Worker(registry), poll, log
        self.name = self.worker.name
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._serve, name="nb_registry-automations", daemon=True)
        self._last_error = ""

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait: float) -> bool:
        """Stop after the delivery in progress (waiting at most ``wait`` s); True if it has stopped."""
        self.worker.stop()
        self._thread.join(wait)
        if self._thread.is_alive():
            self.log.warning("nb_registry: the automation worker is still delivering at shutdown; a delivery cut "
                             "short is made again by the next worker (at least once)")
        return not self._thread.is_alive()

    def _serve(self) -> None:
        try:
            self.worker.serve(poll=self.poll, on_error=self._failed)
        except Exception:  # noqa: BLE001 - logged: a thread's exception would otherwise vanish
            self.log.exception("nb_registry: the automation worker stopped")

    def _failed(self, e: Exception) -> None:
        message = f"{type(e).__name__}: {e}"
        if message != self._last_error:  # once per distinct failure, not every poll
            self.log.warning("nb_registry: automation round failed (retried every %g s): %s", self.poll, message)
        self._last_error = message
