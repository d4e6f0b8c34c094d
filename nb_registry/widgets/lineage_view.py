"""``LineageView``: the lineage / ensemble graph as an ipycytoscape widget with a details pane.

    from nb_registry.widgets import LineageView
    LineageView(api.lineage("ensemble:latest", direction="both"))

ipycytoscape makes one widget per node and edge, which is slow for large graphs (a 508-node history is
about 1,500 widget models, created through the kernel and the page). :func:`show_lineage` (what ``%lineage``
returns) keeps the widget up to :data:`LINEAGE_WIDGET_MAX_NODES` nodes; above that it returns a
:class:`LineageOutput`: one display message with the same cytoscape elements under
``application/vnd.nb-registry.lineage+json``, drawn by the nb-registry JupyterLab extension's MIME renderer
(labextension/src/mime.ts; no kernel needed). Both also carry the graph as a picture (:func:`static_bundle`:
``image/svg+xml``, and ``text/html`` holding it as an ``<img>``) for every other viewer: an untrusted notebook in
JupyterLab, nbconvert and nbviewer, GitHub; and a ``text/plain`` line.

This is the only module that imports ipycytoscape (last released in 2022, one widget per node), so
the rest of the package does not depend on it. The layout is ours (:mod:`nb_registry.graph_layout`,
handed to cytoscape as a ``preset``): directed, layered, downstream on top, no overlaps. Edges that
cross several layers bend through the layout's points (cytoscape ``segments`` edges). Clicking a
node shows its details beside the graph; "Export HTML" writes the standalone file of
:mod:`nb_registry.lineage_html`.
"""

from __future__ import annotations

import base64
import math
import os
from typing import Any, Mapping, Sequence

import ipywidgets as W
import traitlets as T

try:
    import ipycytoscape
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the lineage graph widget needs ipycytoscape: pip install ipycytoscape "
        "(or pip install 'nb-registry[notebook]'); without it, save the graph as HTML with "
        "nb_registry.lineage_html.save_lineage_html(api.lineage(spec), 'lineage.html')"
    ) from e

from ..graph_layout import NODE_HEIGHT, label_width, layout
from ..htmlsafe import Markup, h, join, trusted
from ..lineage_html import (EDGE_COLORS, REGISTERED_BORDER, RUN_COLOR, lineage_to_svg, node_color, node_details,
                            save_lineage_html, short_label)
from ._static import display_with_static

__all__ = ["LineageView", "LineageOutput", "show_lineage", "lineage_mime_data", "cytoscape_elements", "cytoscape_style",
           "lineage_picture", "static_bundle", "LINEAGE_MIME_TYPE", "LINEAGE_WIDGET_MAX_NODES"]

LINEAGE_WIDGET_MAX_NODES = 200  # above this, one display message for the lab extension's renderer (LineageOutput)
LINEAGE_MIME_TYPE = "application/vnd.nb-registry.lineage+json"
_MIME_NODE_KEYS = ("id", "label", "kind", "type", "w", "color")
RUN_WIDTH_FACTOR = 1.25  # runs are ellipses: a bit wider than their text
_SCALARS = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value if not (isinstance(value, float) and not math.isfinite(value)) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def _segments(points: list[Mapping[str, float]]) -> tuple[list[float], list[float]] | None:
    """Cytoscape ``segment-weights`` / ``segment-distances`` (``edge-distances: node-position``)
    for the bend points between the first and last of ``points``; None for a straight edge."""
    if len(points) <= 2:
        return None
    (sx, sy), (tx, ty) = (points[0]["x"], points[0]["y"]), (points[-1]["x"], points[-1]["y"])
    dx, dy = tx - sx, ty - sy
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return None
    length = math.sqrt(length2)
    nx, ny = -dy / length, dx / length  # cytoscape's "vectorNormInverse"
    weights, dists = [], []
    for p in points[1:-1]:
        px, py = p["x"] - sx, p["y"] - sy
        weights.append(round((px * dx + py * dy) / length2, 4))
        dists.append(round(px * nx + py * ny, 1))
    if all(abs(d) < 1 for d in dists):
        return None
    return weights, dists


def cytoscape_elements(graph: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The cytoscape JSON (``{"nodes", "edges"}``, with preset positions) for a lineage graph, and
    the extra per-edge style rules that bend long edges. Pure data: testable without a browser."""
    nodes = list(graph.get("nodes", []))
    widths = {str(n["id"]): label_width(short_label(n)) * (RUN_WIDTH_FACTOR if n.get("kind") == "run" else 1.0)
              for n in nodes}
    lay = layout(graph, labels={str(n["id"]): short_label(n) for n in nodes}, widths=widths)
    cy_nodes = []
    for n in nodes:
        nid = str(n["id"])
        data = _jsonable({k: v for k, v in n.items() if k not in ("position", "classes")})
        data.update(id=nid, label=short_label(n), w=lay["sizes"][nid]["w"], color=node_color(n))
        classes = [str(n.get("kind") or "artifact")] + (["registered"] if n.get("registered") else [])
        cy_nodes.append({"data": data, "position": dict(lay["positions"][nid]), "classes": " ".join(classes)})
    cy_edges, rules = [], []
    for i, e in enumerate(lay["edges"]):
        kind = str(e.get("kind") or "used")
        eid = f"e{i}"
        cy_edges.append({"data": {"id": eid, "source": e["source"], "target": e["target"], "kind": kind,
                                  "color": EDGE_COLORS.get(kind, "#7a8793")}, "classes": kind})
        seg = _segments(e["points"])
        if seg:
            rules.append({"selector": f"edge#{eid}", "style": {
                "curve-style": "segments", "edge-distances": "node-position",
                "segment-weights": seg[0], "segment-distances": seg[1]}})
    return {"nodes": cy_nodes, "edges": cy_edges}, rules


def cytoscape_style(extra: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """The stylesheet: runs grey ellipses, artifacts boxes coloured by type, registered with a gold border."""
    return [
        {"selector": "node", "style": {
            "label": "data(label)", "width": "data(w)", "height": NODE_HEIGHT, "shape": "round-rectangle",
            "background-color": "data(color)", "color": "#ffffff", "font-size": 12, "font-family": "monospace",
            "text-valign": "center", "text-halign": "center", "border-width": 1.5, "border-color": "#ffffff"}},
        {"selector": "node.run", "style": {"shape": "ellipse", "background-opacity": 0.45, "color": "#1d1d1d"}},
        {"selector": "node.registered", "style": {"border-width": 3, "border-color": REGISTERED_BORDER}},
        {"selector": "node:selected", "style": {"border-width": 3, "border-color": "#222222"}},
        {"selector": "edge", "style": {
            "width": 1.6, "line-color": "data(color)", "target-arrow-color": "data(color)",
            "target-arrow-shape": "triangle", "curve-style": "straight", "arrow-scale": 1.1}},
        {"selector": "edge.depends-on", "style": {"line-style": "dashed"}},
        *extra,
    ]


def details_html(node: Mapping[str, Any] | None) -> str:
    if not node:
        return "<i>Click a node to see its details.</i>"
    rows = join(h("<tr><th style='text-align:left;vertical-align:top;padding-right:8px'>{}</th>"
                  "<td style='word-break:break-all'>{}</td></tr>", k, v) for k, v in node_details(node))
    kind = "run" if node.get("kind") == "run" else f"{node.get('type')} artifact"
    return h("<div style='font-size:12px'><b style='color:{}'>●</b> <b>{}</b><table>{}</table></div>",
             node_color(node), kind, rows)


# -- the saved picture: what every viewer shows -------------------------------------------------------------------
# JupyterLab picks the first mime type, by rank, that it may render: for an untrusted notebook (any notebook opened
# from disk before it is run or trusted) only "safe" renderers count. The widget view and image/svg+xml are not safe
# (the SVG renderer prints "Cannot display an untrusted SVG"); text/html is, but sanitized: inline <svg> is not an
# allowed tag, so it is removed and its texts run together. An <img> is allowed, with a data: URI (the sanitizer
# checks the scheme of href and cite only), and a browser runs no script and loads nothing in an SVG loaded as an
# image. So the HTML holds the graph as <img src="data:image/svg+xml;base64,...">: the same picture in untrusted
# JupyterLab, nbconvert's HTML (nbviewer) and any Markdown/HTML viewer; image/svg+xml is the picture again, on its
# own, for viewers that show images but not HTML (LaTeX/PDF export, some IDEs). For the widget, the picture is an
# output of its own beside the widget's (nbconvert would pick the widget view of a shared bundle): see _static.py.
_CHAR_W, _LINE = 7.3, 18  # approximate 12px monospace advance; a line of the header
_PICTURE_TEXT = "<lineage picture: {} nodes, {} edges>"  # the picture's text/plain (plain text, not HTML)


def _legend_svg(nodes: Sequence[Mapping[str, Any]], y: float) -> tuple[Markup, float]:
    """The legend as one row of SVG swatches and labels; returns (svg, width)."""
    items: list[tuple[Markup, str]] = [
        (h("<rect width='18' height='12' rx='6' fill='{}' fill-opacity='0.6'/>", RUN_COLOR), "run")]
    for t in sorted({str(n.get("type")) for n in nodes if n.get("kind") == "artifact"}):
        items.append((h("<rect width='18' height='12' rx='3' fill='{}'/>", node_color({"type": t})), t))
    items.append((h("<rect x='1.5' y='1.5' width='15' height='9' rx='2' fill='#ffffff' stroke='{}' "
                    "stroke-width='3'/>", REGISTERED_BORDER), "registered"))
    for kind, colour in EDGE_COLORS.items():
        dash = h(" stroke-dasharray='5 3'") if kind == "depends-on" else h("")
        items.append((h("<line x1='0' y1='6' x2='22' y2='6' stroke='{}' stroke-width='2'{}/>", colour, dash), kind))
    out, x = [], 8.0
    for swatch, label in items:
        out.append(h("<g transform='translate({},{})'>{}<text x='27' y='10.5' font-size='12' fill='#333333'>{}</text></g>",
                     f"{x:.1f}", f"{y:.1f}", swatch, label))
        x += 27 + _CHAR_W * len(label) + 16
    return join(out), x


def lineage_picture(graph: Mapping[str, Any]) -> tuple[Markup, float, float]:
    """The graph as one standalone SVG document, with its title, summary and legend drawn in: (svg, width, height).
    Nothing in it depends on the page (no CSS, no script, no external resource)."""
    fragment = lineage_to_svg(graph)  # summary, legend, then the one inline <svg> of the graph (built by htmlsafe)
    inner = fragment[fragment.index("<svg"):fragment.rindex("</svg>") + len("</svg>")]
    gw, gh = (float(v) for v in (_attr(inner, "width"), _attr(inner, "height")))
    nodes = list(graph.get("nodes", []))
    by_id = {str(n["id"]): n for n in nodes}
    root = by_id.get(str(graph.get("root")))
    title = f"Lineage of {root.get('label') if root else 'artifacts'}"
    summary = (f"{sum(1 for n in nodes if n.get('kind') == 'artifact')} artifact versions, "
               f"{sum(1 for n in nodes if n.get('kind') == 'run')} runs, {len(graph.get('edges', []))} edges; "
               "data flows upwards")
    legend, legend_w = _legend_svg(nodes, _LINE + 10)
    top = 2 * _LINE + 20
    width = max(gw, legend_w, 16 + _CHAR_W * (len(title) + len(summary) + 2))
    height = top + gh
    # the graph's own <svg>, placed below the header: a slice of lineage_to_svg's markup, whose values it escaped
    nested = h("<svg x='{}' y='{}' ", f"{(width - gw) / 2:.1f}", f"{top:.0f}") + trusted(inner[len("<svg "):])
    svg = h("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{ht}' viewBox='0 0 {w} {ht}' "
            "font-family='monospace' font-size='12'><title>{title}</title><rect width='100%' height='100%' fill='#ffffff'/>"
            "<text x='8' y='{line}' font-weight='bold' fill='#1d1d1d'>{title}"
            "<tspan font-weight='normal' fill='#666666'>  {summary}</tspan></text>{legend}{nested}</svg>",
            w=f"{width:.0f}", ht=f"{height:.0f}", title=title, line=_LINE, summary=summary, legend=legend, nested=nested)
    return svg, width, height


def _attr(tag: str, name: str) -> str:
    start = tag.index(f" {name}='") + len(name) + 3
    return tag[start:tag.index("'", start)]


def static_bundle(graph: Mapping[str, Any]) -> dict[str, Markup]:
    """``text/html`` (the picture as an ``<img>``, which sanitizers keep) and ``image/svg+xml`` (the picture)."""
    svg, width, height = lineage_picture(graph)
    nodes = graph.get("nodes", [])
    alt = f"lineage graph: {', '.join(short_label(n) for n in nodes[:12])}" + (" ..." if len(nodes) > 12 else "")
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    img = h("<img class='nbr-lineage-picture' src='data:image/svg+xml;base64,{}' width='{}' height='{}' "
            "style='max-width:100%;height:auto' alt='{}'>", data, f"{width:.0f}", f"{height:.0f}", alt)
    return {"text/html": h("<div class='nbr-lineage-static'>{}</div>", img), "image/svg+xml": svg}


class LineageView(W.HBox):
    """The lineage graph (left) and the clicked node's details (right), with Fit and Export HTML.

    ``view.refresh(graph)`` redraws with another graph; ``view.select(node_id)`` shows a node's
    details as a click would.
    """

    selected = T.Unicode("", help="id of the node whose details are shown").tag(sync=False)

    def __init__(self, graph: Mapping[str, Any], height: str = "520px", export_path: str = "lineage.html",
                 **kwargs: Any) -> None:
        self.cyto = ipycytoscape.CytoscapeWidget(layout=W.Layout(width="100%", height=height))
        self.cyto.min_zoom, self.cyto.max_zoom = 0.05, 4.0
        self.cyto.on("node", "click", self._on_node_click)
        # Inside a Box, cytoscape first measures its container before the box has sized it, and fits
        # the graph to that. Count the views (ipywidgets' _view_count) and, once one is displayed,
        # refit: ipycytoscape calls cy.resize() + cy.fit() when the widget's layout width changes.
        self.cyto._view_count = 0
        self.cyto.observe(self._on_view_count, "_view_count")
        self.details = W.HTML(details_html(None), layout=W.Layout(overflow="auto", max_height=height))
        self.path = W.Text(export_path, description="file", layout=W.Layout(width="auto"))
        self.export_button = W.Button(description="Export HTML", icon="download",
                                      tooltip="write the graph as a standalone HTML file (no network needed)")
        self.fit_button = W.Button(description="Fit", icon="expand", tooltip="fit the whole graph in view")
        self.status = W.HTML("")
        self.export_button.on_click(self._export_clicked)
        self.fit_button.on_click(lambda _: self.fit())
        side = W.VBox([W.HBox([self.fit_button, self.export_button]), self.path, self.status, self.details],
                      layout=W.Layout(width="32%", min_width="260px", padding="0 0 0 8px"))
        box = W.Box([self.cyto], layout=W.Layout(flex="1 1 auto", width="68%", border="1px solid #ddd"))
        super().__init__([box, side], **kwargs)
        self.graph_data: dict[str, Any] = {}
        self._nodes: dict[str, dict[str, Any]] = {}
        self.refresh(graph)

    def __repr__(self) -> str:
        return f"<LineageView {len(self._nodes)} nodes, {len(self.graph_data.get('edges', []))} edges>"

    def _ipython_display_(self) -> None:
        """The graph as a picture (:func:`static_bundle`, its own output, for every viewer without widgets), then
        the widget; where the widget is drawn the picture hides itself (see :mod:`nb_registry.widgets._static`)."""
        if not self.graph_data.get("nodes"):
            display_widget(self)
            return
        nodes, edges = len(self.graph_data["nodes"]), len(self.graph_data.get("edges", []))
        display_with_static(self, static_bundle(self.graph_data), _PICTURE_TEXT.format(nodes, edges))

    def refresh(self, graph: Mapping[str, Any]) -> None:
        """Draw ``graph``: one ``add_graph_from_json`` call, preset positions from our layout."""
        self.graph_data = dict(graph)
        self._nodes = {str(n["id"]): dict(n) for n in graph.get("nodes", [])}
        elements, rules = cytoscape_elements(graph)
        old = [*self.cyto.graph.nodes, *self.cyto.graph.edges]
        self.cyto.graph.clear()
        for element in old:  # one widget per node and edge: free their comms
            element.close()
        self.cyto.cytoscape_layout = {"name": "preset", "fit": True, "padding": 24, "animate": False}
        self.cyto.set_style(cytoscape_style(rules))
        # each element's state goes in its comm_open (which the server's IOPub rate limit does not count), not in
        # three or four updates per element after it opened; the graph's lists are sent once
        nodes = [ipycytoscape.Node(data=n["data"], position=n["position"], classes=n["classes"]) for n in elements["nodes"]]
        edges = [ipycytoscape.Edge(data=e["data"], classes=f"{e['classes']} directed") for e in elements["edges"]]
        with self.cyto.graph.hold_sync():
            self.cyto.graph.add_nodes(nodes)
            self.cyto.graph.add_edges(edges, directed=True)
        root = graph.get("root")
        self.select(str(root) if root in self._nodes else "")

    def _on_view_count(self, change: Mapping[str, Any]) -> None:
        if (change["new"] or 0) > (change["old"] or 0):
            self.fit()

    def fit(self) -> None:
        """Re-measure the drawing area and fit the whole graph in it (the Fit button)."""
        self.cyto.layout.width = "99.99%" if self.cyto.layout.width == "100%" else "100%"

    def _on_node_click(self, event: Mapping[str, Any]) -> None:
        """ipycytoscape calls this with the clicked element's JSON: ``{"data": {...}, ...}``."""
        data = event.get("data") or {}
        self.select(str(data.get("id", "")))

    def select(self, node_id: str) -> None:
        self.selected = node_id
        self.details.value = details_html(self._nodes.get(node_id))

    def _export_clicked(self, _button: Any) -> None:
        try:
            self.export()
        except OSError as e:  # shown beside the button, not as a traceback in the log
            self.status.value = h("<span style='color:#b00020'>could not write the file: {}</span>", e)

    def export(self, path: str | None = None) -> str:
        """Save the graph as standalone HTML (to the path box by default); returns the path."""
        out = save_lineage_html(self.graph_data, path or self.path.value or "lineage.html")
        rel = os.path.relpath(out) if not os.path.relpath(out).startswith("..") else out
        self.status.value = h("saved <a href='{}' target='_blank'>{}</a> ({} nodes)", rel, rel, len(self._nodes))
        return out


def display_widget(widget: W.Widget) -> None:
    from IPython.display import display

    display(widget._repr_mimebundle_(), raw=True)


def lineage_mime_data(graph: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON of :data:`LINEAGE_MIME_TYPE`: the cytoscape elements of :func:`cytoscape_elements` (preset
    positions, widths, colours, classes), each bent edge's ``segments`` and each node's ``details`` rows (what the
    details pane shows, as :func:`details_html` does). Pure data: testable without a browser."""
    elements, rules = cytoscape_elements(graph)
    bends = {rule["selector"].partition("#")[2]: rule["style"] for rule in rules}
    originals = {str(n["id"]): n for n in graph.get("nodes", [])}
    nodes = []
    for n in elements["nodes"]:  # the fields the renderer draws with; the rest of the node is in its details rows
        data = {k: n["data"][k] for k in _MIME_NODE_KEYS if k in n["data"]}
        data["w"] = round(data["w"], 1)
        data["details"] = [list(row) for row in node_details(originals[data["id"]])]
        nodes.append({**n, "data": data})
    edges = []
    for e in elements["edges"]:
        bend = bends.get(e["data"]["id"])
        edges.append({**e, "segments": {"weights": bend["segment-weights"], "distances": bend["segment-distances"]}}
                     if bend else e)
    root = graph.get("root")
    return {"version": 1, "root": str(root) if root is not None and str(root) in originals else None,
            "nodes": nodes, "edges": edges}


class LineageOutput:
    """A large lineage graph as one rich output: the lab extension draws :data:`LINEAGE_MIME_TYPE`, other viewers
    show the picture of :func:`static_bundle`, plain terminals the ``text/plain`` line. No widget, no comm.

    ``output.export(path)`` saves the standalone HTML file, as the widget's "Export HTML" button does.
    """

    def __init__(self, graph: Mapping[str, Any]) -> None:
        self.graph_data: dict[str, Any] = dict(graph)

    def __repr__(self) -> str:
        nodes, edges = len(self.graph_data.get("nodes", [])), len(self.graph_data.get("edges", []))
        root = self.graph_data.get("root")
        return f"<LineageOutput {nodes} nodes, {edges} edges" + (f" of {root}>" if root else ">")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        return {LINEAGE_MIME_TYPE: lineage_mime_data(self.graph_data), **static_bundle(self.graph_data),
                "text/plain": repr(self)}

    def export(self, path: str = "lineage.html") -> str:
        """Save the graph as standalone HTML; returns the path."""
        return save_lineage_html(self.graph_data, path)


def show_lineage(graph: Mapping[str, Any], max_widget_nodes: int | None = None) -> LineageView | LineageOutput:
    """What ``%lineage`` shows: the :class:`LineageView` widget for graphs of up to
    :data:`LINEAGE_WIDGET_MAX_NODES` nodes, a :class:`LineageOutput` (one display message) above that."""
    limit = LINEAGE_WIDGET_MAX_NODES if max_widget_nodes is None else max_widget_nodes
    if len(graph.get("nodes", [])) > limit:
        return LineageOutput(graph)
    return LineageView(graph)
