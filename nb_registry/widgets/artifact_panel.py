"""The "Artifacts" view: collections grouped by type, their versions a page at a time (newest
first), and the selected version's summary, metadata, files, producing run and consumers.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import traitlets as T

from ..errors import RegistryError
from ._quiet import Quiet
from ._html import chips, error, fmt, h, join, kv_html, section, table_html

__all__ = ["ArtifactsPanel"]

ALL_TYPES = "(all types)"
FILES_SHOWN = 200
FULL_LIST_MAX = 200  # up to this many versions are read in one call; beyond, a page at a time


class ArtifactsPanel(Quiet, W.VBox):
    """Collections (left), a page of versions (middle), the selected version (right), and the
    version's lineage graph below on demand.

    ``page_size`` versions are listed at a time with Newer/Older. A collection of more than
    ``FULL_LIST_MAX`` versions is read a page at a time (each version of the page resolved by
    number), so 10,000 versions cost one page of reads and widgets. Nothing is read until
    :meth:`load` (the browser calls it when the tab is first shown).
    """

    collection = T.Unicode("", help="'project/name' of the collection shown").tag(sync=False)
    page = T.Int(0, help="page of versions shown, 0 = newest").tag(sync=False)

    def __init__(self, api: Any, page_size: int = 50, **kwargs: Any) -> None:
        self.api = api
        self.page_size = max(1, int(page_size))
        self.type_filter = W.Dropdown(options=[ALL_TYPES], value=ALL_TYPES, layout=W.Layout(width="100%"))
        self.collections = W.Select(options=[], rows=16, layout=W.Layout(width="100%"))
        self.versions = W.Select(options=[], rows=16, layout=W.Layout(width="100%"))
        self.prev_button = W.Button(description="Newer", icon="chevron-left", layout=W.Layout(width="84px"))
        self.next_button = W.Button(description="Older", icon="chevron-right", layout=W.Layout(width="84px"))
        self.page_label = W.Label("")
        self.details = W.HTML(layout=W.Layout(overflow="auto", max_height="640px"))
        self.lineage_button = W.Button(description="Show lineage", icon="sitemap",
                                       tooltip="the graph of runs and versions around this version")
        self.lineage_box = W.VBox([])
        self.refresh_button = W.Button(icon="refresh", tooltip="re-read the registry", layout=W.Layout(width="36px"))
        self.refresh_button.on_click(lambda _: self.load())
        self.loaded = False
        self._all: list[Any] | None = None  # every version, newest first (small collections only)
        self._pages: dict[int, list[Any]] = {}
        self._shown: list[Any] = []
        self._count = 0
        self.prev_button.on_click(lambda _: self.show_page(self.page - 1))
        self.next_button.on_click(lambda _: self.show_page(self.page + 1))
        self.lineage_button.on_click(lambda _: self.show_lineage())
        self.type_filter.observe(self.loud(lambda _: self._fill_collections()), "value")
        self.collections.observe(self.loud(lambda ch: self.show_collection(ch["new"] or "")), "value")
        self.versions.observe(self.loud(lambda ch: self.show_version(ch["new"])), "value")
        left = W.VBox([W.HBox([W.HTML("<b>Collections</b>"), self.refresh_button],
                             layout=W.Layout(justify_content="space-between")), self.type_filter, self.collections],
                      layout=W.Layout(width="24%", min_width="200px"))
        middle = W.VBox([W.HTML("<b>Versions</b>"), self.versions,
                         W.HBox([self.prev_button, self.next_button]), self.page_label],
                        layout=W.Layout(width="22%", min_width="190px", padding="0 0 0 8px"))
        right = W.VBox([self.details, self.lineage_button], layout=W.Layout(width="54%", padding="0 0 0 12px"))
        super().__init__([W.HBox([left, middle, right]), self.lineage_box], **kwargs)
        self._all_collections: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"<ArtifactsPanel {len(self._all_collections)} collections, collection={self.collection!r}>"

    # -- collections -----------------------------------------------------------------------
    def load(self) -> None:
        """(Re)read the list of collections; keeps the selected collection and page when possible."""
        self.loaded = True
        self._all_collections = self.api.artifact_collections()
        types = sorted({c["type"] for c in self._all_collections})
        with self.quietly():
            self.type_filter.options = [ALL_TYPES, *types]
            if self.type_filter.value not in self.type_filter.options:
                self.type_filter.value = ALL_TYPES
        self._fill_collections()

    def _fill_collections(self) -> None:
        want = self.type_filter.value
        shown = [c for c in self._all_collections if want in (ALL_TYPES, c["type"])]
        shown.sort(key=lambda c: (c["type"], c["project"], c["name"]))  # grouped by type
        options = [(f"{c['type']} · {c['project']}/{c['name']}", f"{c['project']}/{c['name']}") for c in shown]
        keep = self.collection if any(v == self.collection for _, v in options) else (options[0][1] if options else "")
        with self.quietly():
            self.collections.options = options
            self.collections.value = keep or None
        self.show_collection(keep, page=self.page if keep == self.collection else 0)

    def show_collection(self, qualified: str, page: int = 0) -> None:
        """List the versions of ``project/name`` (newest first), one page at a time."""
        if qualified == self.collection and self._count and page == self.page:
            return
        self.collection = qualified
        self._all, self._count, self._pages = None, 0, {}
        try:
            latest = self.api.artifact(f"{qualified}:latest") if qualified else None
            if latest is not None:
                self._count = int(latest.version[1:]) + 1
                if self._count <= FULL_LIST_MAX:  # small: one call, exact (a deleted version leaves no gap)
                    self._all = list(reversed(self.api.artifact_versions(qualified)))
                    self._count = len(self._all)
        except RegistryError as e:
            self.details.value = error(str(e))
        self.page = -1
        self.show_page(page)

    def _page_items(self, page: int) -> list[Any]:
        """The versions on ``page``: a slice of the full list, or (large collections) each version
        of the page resolved by number, newest first, skipping numbers that no longer exist."""
        if self._all is not None:
            return self._all[page * self.page_size:(page + 1) * self.page_size]
        if page not in self._pages:
            top = self._count - 1 - page * self.page_size
            items = []
            for n in range(top, max(top - self.page_size, -1), -1):
                try:
                    items.append(self.api.artifact(f"{self.collection}:v{n}"))
                except RegistryError:
                    continue  # removed by retention or gc
            self._pages = {page: items}  # keep one page: a huge collection is never held in memory
        return self._pages[page]

    def show_page(self, page: int) -> None:
        pages = max(1, -(-self._count // self.page_size))
        page = min(max(page, 0), pages - 1)
        if page == self.page:
            return
        self.page = page
        self._shown = self._page_items(page) if self._count else []
        with self.quietly():
            self.versions.options = [(self._version_label(a), i) for i, a in enumerate(self._shown)]
            self.versions.value = 0 if self._shown else None
        start = page * self.page_size
        self.page_label.value = (f"{start + 1}–{min(start + self.page_size, self._count)} of {self._count:,}"
                                 if self._count else "no versions")
        self.prev_button.disabled = page == 0
        self.next_button.disabled = page >= pages - 1
        self.show_version(0 if self._shown else None)

    @staticmethod
    def _version_label(a: Any) -> str:
        return f"{a.version}" + (f"  ({', '.join(a.aliases)})" if a.aliases else "")

    # -- one version -----------------------------------------------------------------------
    @property
    def current(self) -> Any:
        """The artifact version shown, or None."""
        i = self.versions.value
        return self._shown[i] if i is not None and 0 <= i < len(self._shown) else None

    def show_version(self, index: int | None) -> None:
        self.lineage_box.children = ()
        art = self._shown[index] if index is not None and 0 <= index < len(self._shown) else None
        if art is None:
            self.details.value = "<i>No artifact versions yet.</i>" if self.loaded else ""
            return
        try:
            self.details.value = self._details(art)
        except RegistryError as e:
            self.details.value = error(f"{art.id}: {e}")

    def _details(self, art: Any) -> str:
        head = kv_html([
            ("version", h("<b>{}</b> ({})", art.id, art.type)),
            ("aliases", chips(art.aliases, "#e3f0ff")),
            ("digest", h("<code>{}</code>", str(art.digest)[:16])),
            ("size", f"{fmt(art.size)} bytes"),
            ("created", f"{str(art.created_at)[:19]} by {art.created_by}"),
            ("description", art.description or "-"),
            ("depends on", chips(art.dependencies)),
        ])
        meta = kv_html([(k, fmt(v, 200)) for k, v in art.metadata.items()]) if art.metadata else h("<i>none</i>")
        files = [{"name": f.path, "size": f.size, "digest": (f.digest or "")[:12], "ref": f.ref or f.dependency or ""}
                 for f in art.files()[:FILES_SHOWN + 1]]
        run = art.logged_by()
        produced = (kv_html([("run", run.path), ("name", run.name), ("job type", run.job_type),
                             ("state", run.state)]) if run is not None else h("<i>not logged by a run</i>"))
        users = [{"run": r.path, "name": r.name, "job_type": r.job_type, "state": r.state} for r in art.used_by()]
        return join([
            head, section("Metadata", meta),
            section(f"Files ({len(files) if len(files) <= FILES_SHOWN else f'more than {FILES_SHOWN}'})",
                    table_html(files, ["name", "size", "digest", "ref"], limit=FILES_SHOWN)),
            section("Produced by", produced),
            section(f"Used by ({len(users)} runs)", table_html(users, ["run", "name", "job_type", "state"], limit=50)),
        ])

    def show_lineage(self, depth: int = 3) -> None:
        """Draw the lineage around the selected version below its details (needs ipycytoscape)."""
        art = self.current
        if art is None:
            return
        try:
            from .lineage_view import LineageView
        except ImportError as e:
            self.lineage_box.children = (W.HTML(error(str(e))),)
            return
        graph = self.api.lineage(art.id, direction="both", depth=depth)
        self.lineage_box.children = (LineageView(graph, height="420px"),)
