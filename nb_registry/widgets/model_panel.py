"""The "Registered models" view: tags, the Markdown model card, versions with aliases, moving an
alias and linking a version, the alias history. Everything goes through :class:`nb_registry.Api`.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import traitlets as T

from ..errors import RegistryError
from ._quiet import Quiet
from ._html import chips, error, fmt, h, kv_html, markdown_to_html, ok, section, table_html

__all__ = ["ModelsPanel"]

STAGE_ALIASES = ("production", "staging", "champion", "challenger")
ALL_TAGS = "(all tags)"


class ModelsPanel(Quiet, W.HBox):
    """List of registered models (left, filterable by tag and text) and the selected one (right)."""

    selected = T.Unicode("", help="name of the registered model shown").tag(sync=False)

    def __init__(self, api: Any, **kwargs: Any) -> None:
        self.api = api
        # width "auto": the column stretches them; "100%" plus the widgets' own margins overflowed it
        self.search = W.Text(placeholder="search name or description", layout=W.Layout(width="auto"))
        self.tag_filter = W.Dropdown(options=[ALL_TAGS], value=ALL_TAGS, layout=W.Layout(width="auto"))
        self.model_list = W.Select(options=[], rows=14, layout=W.Layout(width="auto"))
        self.header = W.HTML()
        self.card = W.HTML(layout=W.Layout(max_height="320px", overflow="auto", border="1px solid #eee",
                                           padding="0 8px"))
        self.versions_html = W.HTML(layout=W.Layout(max_height="260px", overflow="auto"))
        self.history_html = W.HTML(layout=W.Layout(max_height="200px", overflow="auto"))
        # move an alias
        self.alias = W.Combobox(placeholder="alias, e.g. production", options=list(STAGE_ALIASES),
                                ensure_option=False, layout=W.Layout(width="200px"))
        self.version = W.Dropdown(options=[], description="→", layout=W.Layout(width="220px"),
                                  style={"description_width": "20px"})
        self.move_button = W.Button(description="Move alias", icon="arrow-right", button_style="primary",
                                    tooltip="point the alias at the chosen version (recorded in the alias history)")
        # link a version
        self.link_spec = W.Text(placeholder="artifact version, e.g. proj/model:v3 or model:best",
                                layout=W.Layout(width="300px"))
        self.link_aliases = W.Text(placeholder="aliases (comma separated, optional)", layout=W.Layout(width="230px"))
        self.link_button = W.Button(description="Link", icon="link",
                                    tooltip="bookmark this artifact version as the next version of the model")
        self.status = W.HTML()
        self.refresh_button = W.Button(icon="refresh", tooltip="re-read the registry", layout=W.Layout(width="36px"))
        self.refresh_button.on_click(lambda _: self.reload())
        self.move_button.on_click(lambda _: self.move_alias())
        self.link_button.on_click(lambda _: self.link_version())
        self.model_list.observe(self.loud(lambda ch: self.show(ch["new"] or "")), "value")
        self.search.observe(self.loud(lambda _: self.apply_filter()), "value")
        self.tag_filter.observe(self.loud(lambda _: self.apply_filter()), "value")
        title = W.HBox([W.HTML("<b>Registered models</b>"), self.refresh_button],
                       layout=W.Layout(justify_content="space-between"))
        left = W.VBox([title, self.search, self.tag_filter, self.model_list],
                      layout=W.Layout(flex="0 0 28%", min_width="220px", overflow="hidden"))
        right = W.VBox([
            self.header, self.card, W.HTML(section("Versions", "")), self.versions_html,
            W.HTML(section("Move an alias", "")), W.HBox([self.alias, self.version, self.move_button]),
            W.HTML(section("Link an artifact version to this model", "")),
            W.HBox([self.link_spec, self.link_aliases, self.link_button]), self.status,
            W.HTML(section("Alias history", "")), self.history_html,
        ], layout=W.Layout(flex="1 1 auto", min_width="0", padding="0 0 0 12px"))
        super().__init__([left, right], **kwargs)
        self._models: dict[str, Any] = {}
        self._every: list[Any] = []
        self.reload()

    def __repr__(self) -> str:
        return f"<ModelsPanel {len(self._models)} models, selected={self.selected!r}>"

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the registered models (keeps the selection when it still exists)."""
        self._every = self.api.registered_models()
        tags = sorted({t for m in self._every for t in m.tags})
        with self.quietly():
            self.tag_filter.options = [ALL_TAGS, *tags]
            if self.tag_filter.value not in self.tag_filter.options:
                self.tag_filter.value = ALL_TAGS
        self.apply_filter()

    def apply_filter(self) -> None:
        """List the models read last that match the search text and the tag (no registry read)."""
        text = self.search.value.strip().lower()
        tag = None if self.tag_filter.value == ALL_TAGS else self.tag_filter.value
        models = [m for m in self._every if (tag is None or tag in m.tags)
                  and (not text or text in f"{m.name}\n{m.description or ''}".lower())]
        self._models = {m.name: m for m in models}
        keep = self.selected if self.selected in self._models else (models[0].name if models else "")
        options = [(self._option_label(m), m.name) for m in models]
        with self.quietly():
            self.model_list.options = options
            self.model_list.value = keep or None
        self.show(keep)

    @staticmethod
    def _option_label(m: Any) -> str:
        tags = f"  [{', '.join(m.tags)}]" if m.tags else ""
        return f"{m.name}{tags}"

    def show(self, name: str) -> None:
        """Show one registered model (by name); an empty name clears the view."""
        self.selected = name
        rm = self._models.get(name)
        if rm is None:
            self.header.value = "<i>No registered model yet: link an artifact version with api.link(spec, NAME).</i>"
            for w in (self.card, self.versions_html, self.history_html):
                w.value = ""
            self.version.options = []
            return
        versions = rm.versions()
        aliases = rm.aliases
        self.header.value = h("<h3 style='margin:4px 0'>{}</h3>{}", rm.name, kv_html([
            ("description", rm.description or "-"),
            ("tags", chips(rm.tags, "#fff4d6")),
            ("aliases", chips(f"{a} → v{n}" for a, n in sorted(aliases.items()))),
            ("versions", str(len(versions))),
        ]))
        self.card.value = markdown_to_html(rm.model_card)
        rows = [dict(v, aliases=chips(v["aliases"], "#e3f0ff"), run=v.get("run") or "",
                     metadata=fmt(v.get("metadata") or {}, 60), linked_at=str(v["linked_at"])[:19].replace("T", " "))
                for v in reversed(versions)]
        self.versions_html.value = table_html(
            rows, ["version", "aliases", "artifact", "run", "metadata", "linked_at"],
            ["version", "aliases", "artifact", "run", "metadata", "linked"], limit=50, raw=["aliases"])
        with self.quietly():
            previous = self.version.value
            self.version.options = [(f"{v['version']}" + (f" ({', '.join(v['aliases'])})" if v["aliases"] else ""),
                                     v["version"]) for v in reversed(versions)]
            values = [v["version"] for v in versions]
            self.version.value = previous if previous in values else (values[-1] if values else None)
        self.alias.options = sorted(set(STAGE_ALIASES) | set(aliases))
        history = [dict(h, at=str(h["at"])[:19].replace("T", " "),
                        **{"from": "-" if h["from"] is None else f"v{h['from']}",
                              "to": "(removed)" if h["to"] is None else f"v{h['to']}"}) for h in reversed(rm.history())]
        self.history_html.value = table_html(history, ["at", "alias", "from", "to", "by"], limit=30)
        self.link_spec.placeholder = "artifact version, e.g. proj/model:v3 or model:best"

    # -- actions ---------------------------------------------------------------------------
    def move_alias(self) -> bool:
        """Point the alias typed in the alias box at the chosen version. Returns True on success."""
        alias, version, name = self.alias.value.strip(), self.version.value, self.selected
        if not name or not alias or not version:
            self.status.value = error("choose a registered model, type an alias and choose a version")
            return False
        try:
            before = self.api.registered_model(name).aliases.get(alias)
            self.api.registered_model(name).set_alias(alias, version)
        except RegistryError as e:
            self.status.value = error(str(e))
            return False
        self.reload()
        was = f" (was v{before})" if before is not None else " (new alias)"
        self.status.value = ok(f"{name}: {alias} → {version}{was}")
        return True

    def link_version(self) -> bool:
        """Link the artifact version typed in the spec box to the selected model. Returns True on success."""
        spec, name = self.link_spec.value.strip(), self.selected
        aliases = [a.strip() for a in self.link_aliases.value.split(",") if a.strip()]
        if not spec or not name:
            self.status.value = error("choose a registered model and type an artifact version, e.g. model:v3")
            return False
        try:
            linked = self.api.link(spec, name, aliases)
        except RegistryError as e:
            self.status.value = error(str(e))
            return False
        self.link_spec.value = self.link_aliases.value = ""
        self.reload()
        where = getattr(linked, "linked_as", name)
        self.status.value = ok(f"linked {linked.id} as {where}" + (f" with {', '.join(aliases)}" if aliases else ""))
        return True
