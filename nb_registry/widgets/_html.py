"""Small HTML helpers shared by the panels: tables, chips, status lines, safe Markdown.

Everything is built with :mod:`nb_registry.htmlsafe`: the panels show text from a shared registry
(model cards, metadata, run names) inside ``ipywidgets.HTML``, which inserts HTML as is. A value
is escaped unless it is :class:`~nb_registry.htmlsafe.Markup` (made by ``h``), wherever it goes.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

from ..htmlsafe import Markup, esc, h, join, trusted

__all__ = ["Markup", "esc", "h", "join", "fmt", "chips", "table_html", "kv_html", "section", "ok", "error",
           "markdown_to_html"]

_TABLE_STYLE = ("border-collapse:collapse;font-size:12px;line-height:1.35;"
                "font-variant-numeric:tabular-nums")
_CELL = "padding:2px 8px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top"


def fmt(value: Any, width: int = 80) -> str:
    """A short, plain-text rendering of a cell value."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, Mapping):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def chips(items: Iterable[Any], colour: str = "#eef2f7") -> Markup:
    out = join(h("<code style='background:{};border-radius:4px;padding:0 4px;margin-right:3px'>{}</code>", colour, i)
               for i in items)
    return out or h("<span style='color:#999'>-</span>")


def table_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None,
               limit: int | None = None, raw: Iterable[str] = ()) -> Markup:
    """An HTML table of the rows' values (shortened with :func:`fmt`); a column named in ``raw`` is shown
    as it is: Markup (e.g. chips) passes, anything else is still escaped."""
    raw = set(raw)
    if not rows:
        return h("<i style='color:#777'>none</i>")
    shown = rows[:limit] if limit is not None else rows
    head = join(h("<th style='{};border-bottom:2px solid #ccc'>{}</th>", _CELL, c) for c in (headers or columns))
    body = join(h("<tr>{}</tr>", join(h("<td style='{}'>{}</td>", _CELL, r.get(c, "") if c in raw else fmt(r.get(c)))
                                      for c in columns)) for r in shown)
    more = (h("<div style='color:#666;font-size:12px'>… {} more not shown</div>", len(rows) - len(shown))
            if len(shown) < len(rows) else "")
    return h("<table style='{}'><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}", _TABLE_STYLE, head, body, more)


def kv_html(pairs: Iterable[tuple[str, Any]]) -> Markup:
    """A two-column table; a value is escaped unless it is Markup (made with ``h``)."""
    body = join(h("<tr><th style='{};color:#555;white-space:nowrap'>{}</th><td style='{}'>{}</td></tr>", _CELL, k, _CELL, v)
                for k, v in pairs)
    return h("<table style='{}'>{}</table>", _TABLE_STYLE, body)


def section(title: str, body: Any) -> Markup:
    return h("<div style='margin:8px 0 2px;font-weight:600;color:#333'>{}</div>{}", title, body)


def ok(message: str) -> Markup:
    return h("<span style='color:#1b7f3b'>✔ {}</span>", message)


def error(message: str) -> Markup:
    return h("<div style='color:#b00020;white-space:pre-wrap'>✖ {}</div>", message)


# -- Markdown ---------------------------------------------------------------------------------
def markdown_to_html(text: str) -> Markup:
    """Render a model card. Raw HTML in the source is escaped, never passed through.

    Uses mistune (a Jupyter dependency) or markdown-it-py when installed, else a small built-in
    subset (headings, lists, emphasis, code, links, paragraphs)."""
    if not text or not text.strip():
        return h("<i style='color:#777'>no model card</i>")
    text = str(text)
    try:
        import mistune

        return trusted(str(mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])(text)))
    except ImportError:
        pass
    try:
        from markdown_it import MarkdownIt

        return trusted(str(MarkdownIt("commonmark", {"html": False}).enable("table").render(text)))
    except ImportError:
        return trusted(_mini_markdown(text))


_INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![*\w])\*([^*]+)\*(?!\w)"), r"<i>\1</i>"),
    (re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)"), r"<a href='\2' target='_blank' rel='noopener'>\1</a>"),
]


def _inline(line: str) -> Markup:
    out = str(esc(line))  # no raw quote survives, so a link's URL cannot leave its attribute
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return trusted(out)  # escaped text with only the fixed tags above put back


def _mini_markdown(text: str) -> str:
    out: list[str] = []
    para: list[str] = []
    in_list = in_code = False

    def flush() -> None:
        nonlocal in_list
        if para:
            out.append(h("<p>{}</p>", join((_inline(p) for p in para), " ")))
            para.clear()
        if in_list:
            out.append("</ul>")
            in_list = False

    for line in text.splitlines():
        if line.strip().startswith("```"):
            flush()
            out.append("</code></pre>" if in_code else "<pre><code>")
            in_code = not in_code
        elif in_code:
            out.append(str(esc(line)) + "\n")
        elif m := re.match(r"(#{1,6})\s+(.*)", line):
            flush()
            n = len(m.group(1))
            out.append(h("<h{}>{}</h{}>", n, _inline(m.group(2)), n))
        elif m := re.match(r"\s*[-*+]\s+(.*)", line):
            if para:
                flush()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(h("<li>{}</li>", _inline(m.group(1))))
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
    flush()
    if in_code:
        out.append("</code></pre>")
    return "".join(out)
