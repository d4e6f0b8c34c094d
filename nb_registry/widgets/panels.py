"""``RegistryBrowser``: the registry panel, a Tab of three views built from core ipywidgets.

    import nb_registry as nbr
    from nb_registry.widgets import RegistryBrowser
    RegistryBrowser(nbr.Api(project="demo"))

* **Registered models** (:class:`~nb_registry.widgets.model_panel.ModelsPanel`): tags, the model
  card rendered from Markdown, versions with aliases, move an alias, link a version, alias history.
* **Artifacts** (:class:`~nb_registry.widgets.artifact_panel.ArtifactsPanel`): collections by type,
  versions a page at a time, files, metadata, producing run, consumers, lineage graph.
* **Runs** (:class:`~nb_registry.widgets.run_panel.RunsPanel`): a table filtered and sorted on config
  and summary columns; selected runs compared in a metric-history and a parallel-coordinates chart.

Opening the browser reads only the registered models; the Artifacts and Runs views read the
registry when their tab is first shown (``browser.selected_index = 1``); each view's Refresh button
(or ``browser.refresh()``) re-reads it. The widgets call nothing but the public :class:`~nb_registry.Api`.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from ..envinfo import user_path
from ..htmlsafe import Markup, h, join
from ._static import display_with_static
from .artifact_panel import ArtifactsPanel
from .model_panel import ModelsPanel
from .run_panel import RunsPanel

__all__ = ["RegistryBrowser"]

TITLES = ("Registered models", "Artifacts", "Runs")


class RegistryBrowser(W.Tab):
    """A Tab of the three views (``.models``, ``.artifacts``, ``.runs``), each with a Refresh button.
    ``page_size``: artifact versions listed per page."""

    def __init__(self, api: Any, page_size: int = 50, **kwargs: Any) -> None:
        self.api = api
        self.models = ModelsPanel(api)
        self.artifacts = ArtifactsPanel(api, page_size=page_size)
        self.runs = RunsPanel(api)
        super().__init__(children=[self.models, self.artifacts, self.runs], titles=TITLES, **kwargs)
        self.observe(self._on_tab, "selected_index")

    def __repr__(self) -> str:
        return f"<RegistryBrowser {user_path(self.api.registry.url)} project={self.api.project}>"

    def _ipython_display_(self) -> None:
        """An HTML summary (its own output, for viewers without widgets: nbviewer, GitHub, untrusted JupyterLab),
        then the widget; where the widget is drawn the summary hides itself (:mod:`._static`)."""
        summary = browser_summary_html(self.api) + self.runs.static_html()  # the runs too, once their view was shown
        display_with_static(self, {"text/html": summary}, "<registry summary>")

    def _on_tab(self, change: dict[str, Any]) -> None:
        panel = {1: self.artifacts, 2: self.runs}.get(change["new"])
        if panel is not None and not panel.loaded:
            panel.load()

    def refresh(self) -> None:
        """Re-read every view that has been shown (other processes may have logged meanwhile)."""
        self.models.reload()
        for panel in (self.artifacts, self.runs):
            if panel.loaded:
                panel.load()


def browser_summary_html(api: Any, limit: int = 20) -> Markup:
    """Registered models with their aliases and the artifact collections, as plain HTML."""
    models = api.registered_models()
    rows = join(h("<tr><td><b>{}</b></td><td>{}</td><td>{}</td><td>{}</td></tr>", m.name,
                  ", ".join(f"{a} → v{n}" for a, n in sorted(m.aliases.items())) or "-",
                  m.version_count, ", ".join(str(t) for t in m.tags)) for m in models[:limit])
    colls = api.artifact_collections()
    coll_rows = join(h("<tr><td>{}/{}</td><td>{}</td></tr>", c["project"], c["name"], c["type"]) for c in colls[:limit])
    return h("<div class='nbr-browser-static'><p><b>nb_registry</b> at <code>{}</code>: "
             "{} registered models, {} artifact collections</p>"
             "<table><thead><tr><th>registered model</th><th>aliases</th><th>versions</th><th>tags</th></tr></thead>"
             "<tbody>{}</tbody></table>"
             "<table><thead><tr><th>artifact collection</th><th>type</th></tr></thead><tbody>{}</tbody></table></div>",
             user_path(api.registry.url), len(models), len(colls), rows, coll_rows)
