"""Notebook widgets (ipywidgets 8): the registry browser, the lineage graph, charts, a progress bar.

    from nb_registry.widgets import RegistryBrowser, LineageView
    RegistryBrowser(nbr.Api(project="demo"))
    LineageView(api.lineage("ensemble:latest", direction="both"))

Widgets only call the public Python API (:class:`nb_registry.Api` and the objects it returns).
Each name is imported on first use, so ``RegistryBrowser`` works without ipycytoscape and the
lineage graph without plotly.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "RegistryBrowser": "panels", "ModelsPanel": "model_panel", "ArtifactsPanel": "artifact_panel",
    "RunsPanel": "run_panel", "LineageView": "lineage_view", "ProgressBar": "progress",
    "metric_history_figure": "charts", "parallel_coordinates_figure": "charts", "PlotlyChart": "charts",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nb_registry.widgets' has no attribute {name!r}")
