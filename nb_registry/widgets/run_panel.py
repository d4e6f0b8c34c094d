"""The "Runs" view: a run table filtered and sorted on config and summary columns, and a comparison
of selected runs (metric history lines, parallel coordinates of the search).

The filter box takes a short text that :func:`parse_filter` turns into the dict filter language of
:mod:`nb_registry.query` (the same one ``api.runs(filters=...)`` takes)::

    config.lr<0.01, summary.acc>=0.9        # clauses joined by commas or "and"
    state=finished and tags~baseline        # ~ : contains,  =~ : regex,  != : not equal
    lr<0.01                                 # a bare name means config.lr (or summary.lr)
    job_type in [train, sweep]              # in / not in a list
    summary.acc                             # the field exists (!summary.acc: it does not)
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import ipywidgets as W

from ..errors import RegistryError
from ._quiet import Quiet
from ._html import Markup, error, h, section, table_html

__all__ = ["RunsPanel", "parse_filter"]

ALL_PROJECTS = "(all projects)"
ROWS_SHOWN = 100
_OPS = {"<=": "$lte", ">=": "$gte", "!=": "$ne", "==": "$eq", "=~": "$regex", "=": "$eq", "<": "$lt", ">": "$gt",
        "~": "$contains", "not in": "$nin", "in": "$in"}
_CLAUSE = re.compile(
    r"\s*(?P<neg>!)?(?P<path>[A-Za-z_][\w.\-]*)\s*"
    r"(?:(?P<op><=|>=|!=|==|=~|=|<|>|~|\bnot\s+in\b|\bin\b)\s*"
    r"(?P<val>\"[^\"]*\"|'[^']*'|\[[^\]]*\]|[^,]*?))?\s*(?:,|\band\b|$)", re.IGNORECASE)


def _value(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _list(text: str) -> list[Any]:
    body = text.strip()
    body = body[1:-1] if body.startswith("[") and body.endswith("]") else body
    return [_value(v) for v in re.split(r"[,|]", body) if v.strip()]


def parse_filter(text: str, columns: Sequence[str] = ()) -> dict[str, Any]:
    """``"config.lr<0.01, summary.acc>=0.9"`` -> ``{"$and": [{"config.lr": {"$lt": 0.01}}, ...]}``.

    ``columns`` (flat names such as ``config.lr``) let a bare ``lr`` mean ``config.lr`` or
    ``summary.lr``. Raises ``ValueError`` saying where the text cannot be read."""
    text = text.strip()
    clauses: list[dict[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _CLAUSE.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read the filter at {text[pos:pos + 20]!r}; write e.g. "
                             "config.lr<0.01, summary.acc>=0.9 (operators < <= > >= = != ~ =~ in)")
        pos = m.end()
        path = _resolve(m.group("path"), columns)
        op = (m.group("op") or "").lower()
        op = "not in" if op.startswith("not") else op
        if not op:
            clauses.append({path: {"$exists": not m.group("neg")}})
            continue
        if m.group("neg"):
            raise ValueError(f"'!' only negates a bare field name (e.g. !summary.acc), not {m.group(0).strip()!r}")
        raw = m.group("val") or ""
        if not raw.strip():
            raise ValueError(f"no value after {m.group('path')} {op}")
        if raw.strip()[0] in "<>=!~":
            raise ValueError(f"cannot read {m.group(0).strip()!r}: one operator per clause, e.g. config.lr<0.01 "
                             "(quote a value that starts with < > = ! or ~)")
        if op in ("in", "not in"):
            value = _list(raw)
        elif op in ("~", "=~"):
            value = raw.strip()
            value = value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value
        else:
            value = _value(raw)
        clauses.append({path: {_OPS[op]: value}})
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _resolve(path: str, columns: Sequence[str]) -> str:
    if "." in path or not columns or path in columns:
        return path
    for group in ("config", "summary"):
        if f"{group}.{path}" in columns:
            return f"{group}.{path}"
    return path


class RunsPanel(Quiet, W.VBox):
    """Filter/sort controls, the run table, and the comparison of selected runs.

    Nothing is read until :meth:`load` (the browser calls it when the tab is first shown).
    """

    def __init__(self, api: Any, **kwargs: Any) -> None:
        self.api = api
        self.project = W.Dropdown(options=[ALL_PROJECTS], value=ALL_PROJECTS, description="project",
                                  layout=W.Layout(width="240px"))
        self.filter_text = W.Text(placeholder="filter, e.g. config.lr<0.01, summary.acc>=0.9",
                                  continuous_update=False, layout=W.Layout(width="380px"))
        self.sort = W.Dropdown(options=[("newest first", "-started_at")], value="-started_at", description="sort",
                               layout=W.Layout(width="260px"))
        self.apply_button = W.Button(description="Apply", icon="filter")
        self.status = W.HTML()
        self.refresh_button = W.Button(icon="refresh", tooltip="re-read the registry", layout=W.Layout(width="36px"))
        self.refresh_button.on_click(lambda _: self.load())
        self.table = W.HTML(layout=W.Layout(max_height="360px", overflow="auto"))
        self.selection = W.SelectMultiple(options=[], rows=8, description="compare",
                                          layout=W.Layout(width="420px"))
        self.metric = W.Dropdown(options=[], description="metric", layout=W.Layout(width="280px"))
        self.compare_button = W.Button(description="Compare", icon="line-chart", button_style="primary",
                                       tooltip="metric history of the selected runs and parallel coordinates "
                                               "of their config against the metric")
        self.charts = W.VBox([])
        self.history_chart: Any = None
        self.parcoords_chart: Any = None
        self.loaded = False
        self.rows: list[dict[str, Any]] = []
        self.columns: list[str] = []
        self._known: list[str] = []
        self.apply_button.on_click(lambda _: self.refresh())
        self.compare_button.on_click(lambda _: self.compare())
        for w in (self.filter_text, self.sort, self.project):
            w.observe(self.loud(lambda _: self.refresh()), "value")
        super().__init__([
            W.HBox([self.project, self.filter_text, self.sort, self.apply_button, self.refresh_button]),
            self.status, self.table,
            W.HBox([self.selection, W.VBox([self.metric, self.compare_button])]), self.charts,
        ], **kwargs)

    def __repr__(self) -> str:
        return f"<RunsPanel {len(self.rows)} runs shown>"

    def load(self) -> None:
        """Read the runs (all projects), set up the project, sort and metric choices, show the table."""
        self.loaded = True
        every = self.api.runs()
        projects = sorted({r["project"] for r in every})
        columns = list(every.columns)
        sorts = [("newest first", "-started_at"), ("oldest first", "started_at"), ("name", "name")]
        for c in columns:
            if c.startswith(("summary.", "config.")):
                sorts += [(f"{c} ↓", f"-{c}"), (f"{c} ↑", c)]
        self._known = columns
        with self.quietly():
            self.project.options = [ALL_PROJECTS, *projects]
            self.project.value = self.api.project if self.api.project in projects else ALL_PROJECTS
            current = self.sort.value
            self.sort.options = sorts
            self.sort.value = current if current in [v for _, v in sorts] else "-started_at"
        self.refresh()

    def refresh(self) -> bool:
        """Re-run the query with the filter text and sort; returns False (and says why) on a bad filter."""
        if not self.loaded:
            return False
        project = None if self.project.value == ALL_PROJECTS else self.project.value
        try:
            filters = parse_filter(self.filter_text.value, self._known)
            table = self.api.runs(project, filters=filters or None, order=self.sort.value)
        except (RegistryError, ValueError) as e:
            self.status.value = error(str(e))
            return False
        self.rows, self.columns = table.to_records(), list(table.columns)
        self.status.value = h("<span style='color:#555'>{} runs</span>", len(self.rows))
        self._show_table()
        metrics = [c for c in self.columns if c.startswith("summary.")
                   and any(isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool) for r in self.rows)]
        with self.quietly():
            keep = [p for p in self.selection.value if any(self._path(r) == p for r in self.rows)]
            self.selection.options = [(f"{r['name']} · {r['id']}", self._path(r)) for r in self.rows]
            self.selection.value = tuple(keep)
            previous = self.metric.value
            self.metric.options = metrics
            self.metric.value = previous if previous in metrics else (metrics[0] if metrics else None)
        return True

    @staticmethod
    def _path(row: dict[str, Any]) -> str:
        return f"{row['project']}/{row['id']}"

    def _show_table(self) -> None:
        self.table.value = self._table(ROWS_SHOWN)

    def _table(self, limit: int) -> Markup:
        cols = ["name", "state", "job_type", "started_at",
                *(c for c in self.columns if c.startswith(("config.", "summary.")))]
        rows = [dict(r, started_at=str(r.get("started_at") or "")[:16].replace("T", " ")) for r in self.rows]
        return table_html(rows, cols, [c.replace("summary.", "Σ ") for c in cols], limit=limit)

    def static_html(self, limit: int = 20) -> Markup:
        """The runs table as the view shows it (filter and sort applied), for viewers without widgets; '' until
        the view has been loaded."""
        if not self.loaded:
            return h("")
        where = "all projects" if self.project.value == ALL_PROJECTS else f"project {self.project.value}"
        return section(f"Runs ({len(self.rows)}, {where})", self._table(limit))

    def compare(self, runs: Sequence[str] | None = None, metric: str | None = None) -> bool:
        """Chart the selected runs (or ``runs``): ``metric`` history and the parallel coordinates of the
        config columns that vary, coloured by the metric. Fewer than two selected: every run shown."""
        try:
            from .charts import PlotlyChart, metric_history_figure, parallel_coordinates_figure
        except ImportError as e:
            self.status.value = error(str(e))
            return False
        metric = metric or self.metric.value
        if not metric:
            self.status.value = error("no numeric summary metric to compare; log one with run.log({...})")
            return False
        paths = list(runs if runs is not None else self.selection.value)
        chosen = [r for r in self.rows if self._path(r) in paths] if len(paths) >= 2 else list(self.rows)
        key = metric.split(".", 1)[1] if metric.startswith("summary.") else metric
        histories = {}
        for r in chosen[:20]:  # a line chart of more than 20 runs is unreadable
            try:
                histories[f"{r['name']} ({r['id']})"] = self.api.run(self._path(r)).history()
            except RegistryError as e:
                self.status.value = error(str(e))
        params = [c for c in self.columns if c.startswith("config.")
                  and len({repr(r.get(c)) for r in chosen}) > 1][:8]
        if self.history_chart is None:
            self.history_chart, self.parcoords_chart = PlotlyChart(), PlotlyChart()
            self.charts.children = (self.history_chart, self.parcoords_chart)
        self.history_chart.show(metric_history_figure(histories, key))
        params = params or [c for c in self.columns if c.startswith("config.")][:8]
        self.parcoords_chart.show(parallel_coordinates_figure(chosen, params, metric))
        self.status.value = h("<span style='color:#555'>comparing {} runs on {}{}</span>", len(chosen), metric,
                              "" if len(paths) >= 2 else " (select two or more to narrow it)")
        return True
