"""A widget displayed together with a static output that every other viewer shows.

A saved widget output shows only where a widget manager renders it: JupyterLab with the notebook trusted (or its
kernel running). Everywhere else it is lost: an untrusted notebook in JupyterLab renders only "safe" mime types
(not the widget view); nbconvert's HTML, and so nbviewer, picks the widget view over every other mime type of the
same output, and without the widgets' JavaScript (from a CDN) shows nothing; GitHub shows no widgets. So the
static view (a picture, tables) is its own output, displayed just before the widget's, and it hides itself where
the live widget is drawn: its HTML carries a ``<style>`` rule that hides it once the page holds the widget's view
(``:has()`` on a class the widget's view gets). Where HTML is sanitized (untrusted JupyterLab, GitHub) the rule is
dropped and the widget is not drawn, so the static output shows; in nbconvert's HTML it shows unless the widgets'
JavaScript could be loaded and drew the widget. Viewers that isolate each output (VS Code, Colab) show both.
"""

from __future__ import annotations

import uuid
from typing import Any, Mapping

from ..htmlsafe import Markup, h

__all__ = ["display_with_static", "static_output"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_HIDE = ("<style>body:has(.nbr-live-{u}) .jp-OutputArea-child:has(.nbr-static-{u}),"
         "body:has(.nbr-live-{u}) .nbr-static-{u}{{display:none}}</style>")


def static_output(bundle: Mapping[str, str], uid: str, plain: str) -> dict[str, str]:
    """``bundle`` (``text/html``, :class:`~nb_registry.htmlsafe.Markup` or else escaped, and any pictures) as the static
    output paired with the widget view marked ``uid``."""
    html: Markup = h("<div class='nbr-static nbr-static-{}'>{}{}</div>", uid, h(_HIDE, u=uid), bundle["text/html"])
    return {**bundle, "text/html": html, "text/plain": plain}


def display_with_static(widget: Any, bundle: Mapping[str, str], plain: str) -> None:
    """Display the static output of ``bundle``, then ``widget`` itself (its view marked so the static one hides)."""
    from IPython.display import display

    uid = uuid.uuid4().hex[:12]
    widget.add_class(f"nbr-live-{uid}")
    display(static_output(bundle, uid, plain), raw=True)
    view = dict(widget._repr_mimebundle_())
    view["text/html"] = ""  # the static output above stands in for it, so viewers without widgets show it once
    display(view, raw=True)
