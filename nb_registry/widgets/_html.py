"""Small HTML helpers shared by the panels: tables, chips, status lines, safe Markdown.

Everything user-supplied is escaped: the panels show text from a shared registry (model cards,
metadata, run names) inside ``ipywidgets.HTML``, which inserts HTML as is.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Mapping, Sequence

_TABLE_STYLE = ("border-collapse:collapse;font-size:12px;line-height:1.35;"
                "font-variant-numeric:tabular-nums")
_CELL = "padding:2px 8px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top"


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


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


def chips(items: Iterable[Any], colour: str = "#eef2f7") -> str:
    out = [f"<code style='background:{colour};border-radius:4px;padding:0 4px;margin-right:3px'>{esc(i)}</code>"
           for i in items]
    return "".join(out) or "<span style='color:#999'>-</span>"


def table_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None,
               limit: int | None = None, raw: Iterable[str] = ()) -> str:
    """An HTML table; columns named in ``raw`` hold HTML already (e.g. chips), the rest is escaped."""
    raw = set(raw)
    shown = rows[:limit] if limit is not None else rows
    head = "".join(f"<th style='{_CELL};border-bottom:2px solid #ccc'>{esc(h)}</th>" for h in (headers or columns))
    body = "".join(
        "<tr>" + "".join(f"<td style='{_CELL}'>{r.get(c, '') if c in raw else esc(fmt(r.get(c)))}</td>" for c in columns)
        + "</tr>" for r in shown)
    more = (f"<div style='color:#666;font-size:12px'>… {len(rows) - len(shown)} more not shown</div>"
            if len(shown) < len(rows) else "")
    if not rows:
        return "<i style='color:#777'>none</i>"
    return f"<table style='{_TABLE_STYLE}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def kv_html(pairs: Iterable[tuple[str, str]]) -> str:
    """A two-column table; values are HTML already."""
    body = "".join(f"<tr><th style='{_CELL};color:#555;white-space:nowrap'>{esc(k)}</th><td style='{_CELL}'>{v}</td></tr>"
                   for k, v in pairs)
    return f"<table style='{_TABLE_STYLE}'>{body}</table>"


def section(title: str, body: str) -> str:
    return f"<div style='margin:8px 0 2px;font-weight:600;color:#333'>{esc(title)}</div>{body}"


def ok(message: str) -> str:
    return f"<span style='color:#1b7f3b'>✔ {esc(message)}</span>"


def error(message: str) -> str:
    return f"<div style='color:#b00020;white-space:pre-wrap'>✖ {esc(message)}</div>"


# -- Markdown ---------------------------------------------------------------------------------
def markdown_to_html(text: str) -> str:
    """Render a model card. Raw HTML in the source is escaped, never passed through.

    Uses mistune (a Jupyter dependency) or markdown-it-py when installed, else a small built-in
    subset (headings, lists, emphasis, code, links, paragraphs)."""
    if not text or not text.strip():
        return "<i style='color:#777'>no model card</i>"
    try:
        import mistune

        return str(mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])(text))
    except ImportError:
        pass
    try:
        from markdown_it import MarkdownIt

        return str(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))
    except ImportError:
        return _mini_markdown(text)


_INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![*\w])\*([^*]+)\*(?!\w)"), r"<i>\1</i>"),
    (re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)"), r"<a href='\2' target='_blank' rel='noopener'>\1</a>"),
]


def _inline(line: str) -> str:
    out = html.escape(line, quote=True)  # no raw quote survives, so a link's URL cannot leave its attribute
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def _mini_markdown(text: str) -> str:
    out: list[str] = []
    para: list[str] = []
    in_list = in_code = False

    def flush() -> None:
        nonlocal in_list
        if para:
            out.append("<p>" + " ".join(_inline(p) for p in para) + "</p>")
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
            out.append(html.escape(line) + "\n")
        elif m := re.match(r"(#{1,6})\s+(.*)", line):
            flush()
            n = len(m.group(1))
            out.append(f"<h{n}>{_inline(m.group(2))}</h{n}>")
        elif m := re.match(r"\s*[-*+]\s+(.*)", line):
            if para:
                flush()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_inline(m.group(1))}</li>")
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
    flush()
    if in_code:
        out.append("</code></pre>")
    return "".join(out)
