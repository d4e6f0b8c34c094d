"""The one place where HTML is made from values: every value is escaped unless it is :class:`Markup`.

Everything nb_registry shows in a notebook (``_repr_html_``, the panels' ``ipywidgets.HTML``, the
static views for GitHub and nbviewer, the lineage page) comes from a shared registry, which anyone
with write access to the folder or bucket can fill with ``<script>`` or ``<img onerror=...>``; and
notebook output is trusted by JupyterLab. So HTML is only ever built by filling a literal template::

    from nb_registry.htmlsafe import h, join
    h("<b>{}</b> ({})", art.id, art.type)                 # both escaped, quotes included
    h("<td>{}</td>", h("<code>{}</code>", digest))        # Markup (made by h) passes as it is
    join(h("<li>{}</li>", t) for t in tags)

A value is escaped whatever its type (numbers, None, dicts ...); only :class:`Markup` passes, and
Markup is made by :func:`h`, :func:`join`, :func:`esc`, or :func:`trusted` for HTML that a renderer
which escapes produced (a model card rendered by mistune with ``escape=True``). Adding a plain
string to Markup escapes the string. ``tests/test_html_safety.py`` checks that the HTML-producing
modules build no tag with an f-string, so a raw value cannot be interpolated by accident.
"""

from __future__ import annotations

import html as _html
from typing import Any, Iterable

__all__ = ["Markup", "esc", "h", "join", "trusted"]


class Markup(str):
    """A string of HTML that is safe to insert as it is."""

    __slots__ = ()

    def __html__(self) -> "Markup":
        return self

    def __add__(self, other: Any) -> "Markup":
        return Markup(str.__add__(self, esc(other)))

    def __radd__(self, other: Any) -> "Markup":
        return Markup(str.__add__(esc(other), self))

    def __repr__(self) -> str:
        return f"Markup({str.__repr__(self)})"


def esc(value: Any) -> Markup:
    """``value`` as text in HTML (``< > & " '`` escaped); Markup is returned as it is; None is empty."""
    if isinstance(value, Markup):
        return value
    return Markup(_html.escape("" if value is None else str(value), quote=True))


def h(template: str, *args: Any, **kwargs: Any) -> Markup:
    """Fill a literal HTML ``template`` (``str.format`` fields) with escaped values.

    The template itself must be written in the code, never built from data; format numbers before
    passing them (``h("{}", f"{x:.1f}")``): a field's format spec applies to the escaped text."""
    return Markup(template.format(*(esc(a) for a in args), **{k: esc(v) for k, v in kwargs.items()}))


def join(parts: Iterable[Any], sep: str = "") -> Markup:
    """Parts (escaped unless Markup) joined by ``sep`` (a literal)."""
    return Markup(esc(sep).join(esc(p) for p in parts))


def trusted(markup: str) -> Markup:
    """Mark HTML as safe. Only for HTML made by a renderer that escapes its input (mistune with
    ``escape=True``, markdown-it with ``html=False``), or made by this module: never for stored text."""
    return Markup(markup)
