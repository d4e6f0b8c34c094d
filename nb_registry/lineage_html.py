"""The lineage graph as one standalone HTML file: inline SVG, no network, no external scripts.

    from nb_registry.lineage_html import save_lineage_html
    save_lineage_html(api.lineage("ensemble:latest", direction="both"), "ensemble-lineage.html")

Positions come from :mod:`nb_registry.graph_layout` (downstream on top). Runs are grey pills,
artifact versions are boxes coloured by type, registered versions get a gold border, aliases are
in the labels, edges carry arrows (dashed for ``depends-on``). Hovering a node shows its details
(an SVG ``<title>``); clicking one shows them in the side panel (a few lines of inline script;
without scripts the file still reads, with the hover titles). The same palette is used by the
notebook widget (:func:`node_color`).
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any, Mapping

from .graph_layout import MAX_CHARS, layout
from .htmlsafe import Markup, h, join, trusted

__all__ = ["lineage_to_html", "lineage_to_svg", "save_lineage_html", "node_color", "node_details", "short_label", "TYPE_COLORS",
           "RUN_COLOR", "EDGE_COLORS"]

TYPE_COLORS = {"dataset": "#2e9e5b", "model": "#3b6fd8", "code": "#8a5cc2", "evaluation": "#d98c1f",
               "predictions": "#c2497c", "config": "#6b7f8f"}
_PALETTE = ["#1f9ea8", "#b5651d", "#7a9a01", "#9c4f96", "#c0392b", "#5d6d7e"]
RUN_COLOR = "#8c8c8c"
REGISTERED_BORDER = "#e0a800"
EDGE_COLORS = {"used": "#7a8793", "produced": "#4a5561", "depends-on": "#b07cc6"}
_DETAIL_KEYS = ("artifact", "run", "type", "job_type", "state", "version", "aliases", "registered", "digest", "size",
                "created_at", "project", "git", "config", "summary")


def node_color(node: Mapping[str, Any]) -> str:
    """Fill colour: grey for runs, by type for artifacts (a stable colour for unknown types)."""
    if node.get("kind") == "run":
        return RUN_COLOR
    t = str(node.get("type") or "")
    return TYPE_COLORS.get(t) or _PALETTE[zlib.crc32(t.encode()) % len(_PALETTE)]


def short_label(node: Mapping[str, Any]) -> str:
    """The node's label, cut to the width the layout reserved for it."""
    label = str(node.get("label") or node.get("id"))
    return label if len(label) <= MAX_CHARS else label[: MAX_CHARS - 1] + "…"


def _fmt(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in list(value.items())[:12]) or "-"
    return str(value)


def node_details(node: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field, text)`` pairs worth showing for a node, in a fixed order (empty fields left out)."""
    rows = [("label", str(node.get("label") or node.get("id")))]
    for key in _DETAIL_KEYS:
        value = node.get(key)
        if value in (None, "", [], {}):
            continue
        if key == "digest":
            value = str(value)[:16]
        rows.append((key, _fmt(value)))
    return rows


def _clip(outside: Mapping[str, float], centre: Mapping[str, float], w: float, h: float) -> tuple[float, float]:
    """Where the segment from ``outside`` to the box centre crosses the box border."""
    dx, dy = outside["x"] - centre["x"], outside["y"] - centre["y"]
    if dx == 0 and dy == 0:
        return centre["x"], centre["y"]
    t = min((w / 2) / abs(dx) if dx else float("inf"), (h / 2) / abs(dy) if dy else float("inf"))
    t = min(t, 1.0)
    return centre["x"] + dx * t, centre["y"] + dy * t


def _edge_svg(e: Mapping[str, Any], lay: Mapping[str, Any], kind: str) -> Markup:
    pts = e["points"]
    if e["source"] == e["target"] or len(pts) < 2:
        return h("")
    s_size, t_size = lay["sizes"][e["source"]], lay["sizes"][e["target"]]
    x0, y0 = _clip(pts[1], pts[0], s_size["w"], s_size["h"])
    x1, y1 = _clip(pts[-2], pts[-1], t_size["w"] + 4, t_size["h"] + 4)  # leave room for the arrow head
    coords = [(x0, y0), *((p["x"], p["y"]) for p in pts[1:-1]), (x1, y1)]
    d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dash = "6 4" if kind == "depends-on" else "none"
    colour = EDGE_COLORS.get(kind, "#7a8793")
    return h("<path class='edge' d='{}' stroke='{}' stroke-dasharray='{}' marker-end='url(#arrow-{})'><title>{}</title></path>",
             d, colour, dash, _slug(kind), f"{e['source']} → {e['target']} ({kind})")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text) or "x"


def _node_svg(i: int, node: Mapping[str, Any], pos: Mapping[str, float], size: Mapping[str, float]) -> Markup:
    w, ht = size["w"], size["h"]
    x, y = pos["x"] - w / 2, pos["y"] - ht / 2
    is_run = node.get("kind") == "run"
    radius = ht / 2 if is_run else 5
    stroke = REGISTERED_BORDER if node.get("registered") else "#ffffff"
    width = 3 if node.get("registered") else 1.5
    title = "\n".join(f"{k}: {v}" for k, v in node_details(node))
    text_colour = "#1d1d1d" if is_run else "#ffffff"
    return h("<g class='node {}' data-i='{}' tabindex='0'><title>{}</title>"
             "<rect x='{}' y='{}' width='{}' height='{}' rx='{}' fill='{}' fill-opacity='{}' stroke='{}' stroke-width='{}'/>"
             "<text x='{}' y='{}' fill='{}'>{}</text></g>",
             "run" if is_run else "artifact", i, title, f"{x:.1f}", f"{y:.1f}", f"{w:.1f}", f"{ht:.1f}", f"{radius:.1f}",
             node_color(node), "0.45" if is_run else "1", stroke, width, f"{pos['x']:.1f}", f"{pos['y'] + 4:.1f}",
             text_colour, short_label(node))


def _legend(nodes: list[Mapping[str, Any]]) -> Markup:
    sw = "display:inline-block;width:18px;height:12px;border-radius:3px;box-sizing:border-box"
    items = [h("<span class='sw' style='{};background:{};opacity:.6;border-radius:8px'></span>run", sw, RUN_COLOR)]
    for t in sorted({str(n.get("type")) for n in nodes if n.get("kind") == "artifact"}):
        items.append(h("<span class='sw' style='{};background:{}'></span>{}", sw, node_color({"type": t}), t))
    items.append(h("<span class='sw' style='{};border:3px solid {};background:#fff'></span>registered", sw, REGISTERED_BORDER))
    for kind, colour in EDGE_COLORS.items():
        style = "dashed" if kind == "depends-on" else "solid"
        items.append(h("<span class='ln' style='display:inline-block;width:22px;height:0;border-top:2px {} {}'></span>{}",
                       style, colour, kind))
    item = "margin-right:14px;white-space:nowrap;display:inline-flex;align-items:center;gap:5px"
    return h("<div class='legend'>{}</div>", join(h("<span class='item' style='{}'>{}</span>", item, i) for i in items))


_CSS = """
body{font:13px system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d1d1d;background:#fafafa}
header{padding:10px 16px;border-bottom:1px solid #ddd;background:#fff}
h1{font-size:16px;margin:0 0 6px}
.legend .item{margin-right:14px;white-space:nowrap;display:inline-flex;align-items:center;gap:5px}
.sw{display:inline-block;width:18px;height:12px;border-radius:3px}.ln{display:inline-block;width:22px;height:0}
main{display:flex;align-items:flex-start}
#graph{flex:1;overflow:auto;max-height:calc(100vh - 80px)}
#details{width:300px;padding:10px 14px;border-left:1px solid #ddd;background:#fff;min-height:200px;font-size:12px}
#details th{text-align:left;vertical-align:top;padding-right:8px;color:#555}#details td{word-break:break-all}
svg text{font:12px monospace;text-anchor:middle;pointer-events:none}
path.edge{fill:none;stroke-width:1.6}
g.node{cursor:pointer}g.node:hover rect,g.node:focus rect{stroke:#222;stroke-width:2.5}
"""

_SCRIPT = """
var N=JSON.parse(document.getElementById('nbr-nodes').textContent);
function esc(s){return String(s).replace(/[&<>"']/g,function(c){return '&#'+c.charCodeAt(0)+';';});}
function show(i){var rows=N[i];var h='<table>';for(var k=0;k<rows.length;k++){h+='<tr><th>'+esc(rows[k][0])+
'</th><td>'+esc(rows[k][1])+'</td></tr>';}document.getElementById('details').innerHTML=h+'</table>';}
document.querySelectorAll('g.node').forEach(function(g){var i=+g.getAttribute('data-i');
g.addEventListener('click',function(){show(i);});g.addEventListener('keydown',function(e){if(e.key==='Enter')show(i);});});
"""


def _render(graph: Mapping[str, Any], title: str | None) -> dict[str, Any]:
    nodes = list(graph.get("nodes", []))
    lay = layout(graph, labels={str(n["id"]): short_label(n) for n in nodes})
    by_id = {str(n["id"]): n for n in nodes}
    root = by_id.get(str(graph.get("root")))
    title = title or f"Lineage of {root.get('label') if root else 'artifacts'}"
    kinds = {str(e.get("kind") or "used") for e in graph.get("edges", [])} | set(EDGE_COLORS)
    markers = join(
        h("<marker id='arrow-{}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='8' markerHeight='8' "
          "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='{}'/></marker>", _slug(k), EDGE_COLORS.get(k, "#7a8793"))
        for k in sorted(kinds))
    edges = join(_edge_svg(e, lay, str(e.get("kind") or "used")) for e in lay["edges"])
    order = list(by_id)
    body = join(_node_svg(i, by_id[nid], lay["positions"][nid], lay["sizes"][nid]) for i, nid in enumerate(order))
    w, ht = f"{lay['width']:.0f}", f"{lay['height']:.0f}"
    summary = (f"{sum(1 for n in nodes if n.get('kind') == 'artifact')} artifact versions, "
               f"{sum(1 for n in nodes if n.get('kind') == 'run')} runs, {len(graph.get('edges', []))} edges"
               f"{'; data flows upwards' if nodes else ''}")
    svg = h("<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' viewBox='0 0 {} {}' "
            "role='img' aria-label='{}' style='font:12px monospace'><defs>{}</defs>"
            "<g class='edges' fill='none' stroke-width='1.6'>{}</g>"
            "<g class='nodes' text-anchor='middle' font-family='monospace' font-size='12'>{}</g></svg>",
            w, ht, w, ht, title, markers, edges, body)
    # inside <script>, "<!--" and "</script" change how the HTML parser reads on: no raw < > & in the JSON
    details = trusted(json.dumps([node_details(by_id[nid]) for nid in order]).replace("<", "\\u003c")
                      .replace(">", "\\u003e").replace("&", "\\u0026"))
    return {"title": title, "summary": summary, "legend": _legend(nodes), "svg": svg, "details": details}


def lineage_to_svg(graph: Mapping[str, Any], title: str | None = None) -> Markup:
    """An HTML fragment (summary, legend, inline SVG; no script, no external resources): what a
    static rendering of a notebook (GitHub, nbviewer) shows for the lineage widget."""
    r = _render(graph, title)
    return h("<div class='nbr-lineage'><div><b>{}</b> <span style='color:#666'>{}</span></div>{}"
             "<div style='overflow:auto;max-height:640px'>{}</div></div>", r["title"], r["summary"], r["legend"], r["svg"])


def lineage_to_html(graph: Mapping[str, Any], title: str | None = None) -> Markup:
    """A complete HTML document drawing ``graph`` (the dict from ``Api.lineage``) as inline SVG."""
    r = _render(graph, title)
    return h("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'><title>{title}</title>"
             "<style>{css}</style></head><body><header><h1>{title}</h1><div>{summary}</div>{legend}</header>"
             "<main><div id='graph'>{svg}</div><aside id='details'>Click a node (or hover it) for its details.</aside></main>"
             "<script type='application/json' id='nbr-nodes'>{details}</script><script>{script}</script></body></html>\n",
             title=r["title"], css=trusted(_CSS), summary=r["summary"], legend=r["legend"], svg=r["svg"],
             details=r["details"], script=trusted(_SCRIPT))


def save_lineage_html(graph: Mapping[str, Any], path: str | os.PathLike[str], title: str | None = None) -> str:
    """Write :func:`lineage_to_html` to ``path`` (UTF-8); returns the absolute path."""
    out = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(out)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(lineage_to_html(graph, title))
    return out

