"""Charts for comparing runs: metric history lines and the parallel coordinates of a search.

    from nb_registry.widgets.charts import PlotlyChart, metric_history_figure
    chart = PlotlyChart(metric_history_figure({"run-a": run_a.history(), "run-b": run_b.history()}, "loss"))

Why plotly, shown through its MIME type inside an ``ipywidgets.Output`` (and not ``FigureWidget``):

* interactive in JupyterLab (hover, zoom, pan, legend toggling, brushing the parallel-coordinate
  axes) through the ``jupyterlab-plotly`` extension that the ``plotly`` wheel installs; checked here
  with JupyterLab 4.6 / ipywidgets 8.1 in headless Chromium, next to ``FigureWidget``;
* testable in process: a chart is a plain ``go.Figure`` (``chart.figure``) whose traces a test reads,
  and the ``Output`` holds the exact bundle the browser renders;
* light: building a figure imports in about 0.15 s; ``FigureWidget`` (plotly >= 6 builds it on
  anywidget) first pulls in nbformat and jsonschema (2-6 s here) and syncs its 5 MB JavaScript
  bundle as widget state, so every chart saved in a notebook with its widget state would add 5 MB;
* parallel coordinates are built in (``go.Parcoords``), unlike bqplot.
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Mapping, Sequence

import ipywidgets as W

try:
    import plotly.graph_objects as go
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("run comparison charts need plotly: pip install plotly "
                      "(or pip install 'nb-registry[notebook]')") from e

__all__ = ["PlotlyChart", "metric_history_figure", "parallel_coordinates_figure", "figure_bundle"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
_CONFIG = {"displaylogo": False, "responsive": True}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def _default(o: Any) -> Any:
    if hasattr(o, "tolist"):
        return o.tolist()
    return str(o)


def figure_bundle(fig: "go.Figure", summary: str | None = None) -> dict[str, Any]:
    """The MIME bundle JupyterLab renders (plotly JSON), with a plain-text fallback."""
    spec = json.loads(json.dumps(fig.to_plotly_json(), default=_default))
    spec["config"] = dict(_CONFIG)
    title = _title(fig)
    return {PLOTLY_MIME: spec, "text/html": _static_html(fig, title),
            "text/plain": summary or f"<{title}: {len(fig.data)} traces>"}


def _title(fig: "go.Figure") -> str:
    return fig.layout.title.text if fig.layout.title and fig.layout.title.text else "plotly figure"


def _static_html(fig: "go.Figure", title: str, limit: int = 30) -> str:
    """Where plotly's JavaScript does not run (GitHub, nbviewer): the figure's data as a table."""
    from ..htmlsafe import h, join

    parts = [h("<p><b>{}</b> (interactive in JupyterLab)</p>", title)]
    for trace in fig.data:
        dims = getattr(trace, "dimensions", None)
        if dims:
            cols = [(d.label, list(d.values)) for d in dims]
            head = join(h("<th>{}</th>", c) for c, _ in cols)
            n = min(limit, max((len(v) for _, v in cols), default=0))
            body = join(h("<tr>{}</tr>", join(h("<td>{}</td>", _fmt(v[i]) if i < len(v) else "") for _, v in cols))
                        for i in range(n))
            parts.append(h("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body))
        elif getattr(trace, "y", None) is not None:
            ys = list(trace.y)
            last = _fmt(ys[-1]) if ys else "-"
            parts.append(h("<p>{}: {} points, last {}</p>", trace.name or "series", len(ys), last))
    return join(parts)


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


class PlotlyChart(W.Output):
    """An ``Output`` showing one plotly figure; ``chart.show(fig)`` replaces it, ``chart.figure`` is it."""

    def __init__(self, figure: "go.Figure | None" = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.figure: "go.Figure | None" = None
        if figure is not None:
            self.show(figure)

    def __repr__(self) -> str:
        return f"<PlotlyChart {len(self.figure.data) if self.figure is not None else 0} traces>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, plus the figure's data as HTML for static renderings (nbviewer, GitHub)."""
        data = super()._repr_mimebundle_(**kwargs)
        if isinstance(data, dict) and self.figure is not None:
            data["text/html"] = _static_html(self.figure, _title(self.figure))
        return data

    def show(self, figure: "go.Figure", summary: str | None = None) -> None:
        self.figure = figure
        self.outputs = ({"output_type": "display_data", "data": figure_bundle(figure, summary), "metadata": {}},)

    def clear(self) -> None:
        self.figure = None
        self.outputs = ()


def metric_history_figure(histories: Mapping[str, Iterable[Mapping[str, Any]]], metric: str, x: str = "_step",
                          title: str | None = None) -> "go.Figure":
    """One line per run: ``metric`` against ``x`` (``_step`` by default). ``histories`` maps a run's
    display name to its history rows (``Run.history()`` is a Table of dict rows)."""
    fig = go.Figure()
    for name, rows in histories.items():
        xs, ys = [], []
        for i, r in enumerate(rows):
            y = r.get(metric)
            if _is_number(y):
                xs.append(r.get(x, i))
                ys.append(y)
        if ys:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers" if len(ys) < 30 else "lines", name=str(name)))
    fig.update_layout(title=title or f"{metric} by {x.lstrip('_')}", xaxis_title=x.lstrip("_"), yaxis_title=metric,
                      height=360, margin=dict(l=50, r=20, t=50, b=40), legend=dict(orientation="h", y=-0.2),
                      template="plotly_white", hovermode="x unified")
    return fig


def _dimension(label: str, values: Sequence[Any]) -> dict[str, Any]:
    """A parcoords axis: numbers as they are, or on a log scale when positive and spanning 100x or
    more (learning rates, weight decays: the ticks then read 0.001, 0.01, ...); anything else as
    categories."""
    if all(_is_number(v) for v in values):
        nums = [float(v) for v in values]
        if nums and min(nums) > 0 and max(nums) / min(nums) >= 100:
            lo, hi = math.floor(math.log10(min(nums))), math.ceil(math.log10(max(nums)))
            ticks = list(range(lo, hi + 1))
            return {"label": label, "values": [math.log10(v) for v in nums], "tickvals": ticks,
                    "ticktext": [f"{10.0 ** t:g}" for t in ticks]}
        return {"label": label, "values": nums}
    cats = sorted({str(v) for v in values})
    code = {c: i for i, c in enumerate(cats)}
    return {"label": label, "values": [code[str(v)] for v in values], "tickvals": list(range(len(cats))), "ticktext": cats}


def parallel_coordinates_figure(rows: Sequence[Mapping[str, Any]], params: Sequence[str], metric: str,
                                title: str | None = None) -> "go.Figure":
    """One line per run across ``params`` (e.g. ``config.lr``) and ``metric`` (e.g. ``summary.acc``),
    coloured by the metric. ``rows`` are flat run rows (``api.runs().to_records()``); runs missing
    any of the columns are left out and counted in the title. Text columns become categorical axes."""
    columns = [*params, metric]
    kept = [r for r in rows if all(r.get(c) is not None for c in columns) and _is_number(r.get(metric))]
    dropped = len(rows) - len(kept)
    dims = [_dimension(c.split(".", 1)[-1] if c.startswith(("config.", "summary.")) else c, [r[c] for r in kept])
            for c in columns]
    colours = [float(r[metric]) for r in kept]
    fig = go.Figure(go.Parcoords(
        dimensions=dims,
        line=dict(color=colours, colorscale="Viridis", showscale=True,
                  colorbar=dict(title=metric.split(".", 1)[-1])) if kept else dict(color="#888"),
    ))
    note = f" ({dropped} runs without {' / '.join(columns)} left out)" if dropped else ""
    fig.update_layout(title=(title or f"{len(kept)} runs: {', '.join(params)} → {metric}") + note, height=400,
                      margin=dict(l=60, r=60, t=80, b=30), template="plotly_white")
    return fig
