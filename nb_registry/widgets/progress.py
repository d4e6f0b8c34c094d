"""``ProgressBar``: a progress bar usable as the ``progress=`` callback of downloads and uploads.

    bar = ProgressBar("download model:best")
    display(bar)
    art.download(progress=bar)          # the core calls bar(done_bytes, total_bytes)

It redraws at most every ``interval`` seconds (a download may report thousands of chunks), and
always at the end. ``total`` may be unknown (None or 0): the bar then shows bytes done only.
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as W

__all__ = ["ProgressBar", "human_bytes"]

_STEPS = 1000  # the bar counts in per-mille, so byte counts beyond 2**31 are no problem in the browser


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


class ProgressBar(W.HBox):
    """An ``IntProgress`` and a label; call it as ``bar(done_bytes, total_bytes)``."""

    def __init__(self, description: str = "", interval: float = 0.1, **kwargs: Any) -> None:
        self.bar = W.IntProgress(value=0, min=0, max=_STEPS, description=description,
                                 style={"description_width": "initial"}, layout=W.Layout(width="360px"))
        self.label = W.Label("")
        super().__init__([self.bar, self.label], **kwargs)
        self.interval = interval
        self.done = 0
        self.total: int | None = None
        self._start = time.monotonic()
        self._last = 0.0

    def __repr__(self) -> str:
        return f"<ProgressBar {self.done}/{self.total}>"

    def __call__(self, done_bytes: int, total_bytes: int | None = None) -> None:
        self.done, self.total = int(done_bytes), (int(total_bytes) if total_bytes else None)
        finished = self.total is not None and self.done >= self.total
        now = time.monotonic()
        if not finished and now - self._last < self.interval:
            return
        self._last = now
        self._draw(now, finished)

    def _draw(self, now: float, finished: bool) -> None:
        elapsed = max(now - self._start, 1e-6)
        rate = f" · {human_bytes(self.done / elapsed)}/s" if elapsed > 0.2 else ""
        if self.total:
            self.bar.value = min(_STEPS, int(self.done * _STEPS / self.total))
            pct = 100.0 * self.done / self.total
            self.label.value = f"{human_bytes(self.done)} / {human_bytes(self.total)} ({pct:.0f}%){rate}"
        else:
            self.bar.bar_style = "info"
            self.label.value = f"{human_bytes(self.done)}{rate}"
        if finished:
            self.bar.bar_style = "success"
            self.label.value = f"{human_bytes(self.done)} done in {elapsed:.1f} s"

    def fail(self, message: str = "failed") -> None:
        """Mark the transfer as failed (red bar) with a short message."""
        self.bar.bar_style = "danger"
        self.label.value = message

    def reset(self, description: str | None = None) -> None:
        if description is not None:
            self.bar.description = description
        self.bar.value, self.bar.bar_style, self.label.value = 0, "", ""
        self.done, self.total, self._start, self._last = 0, None, time.monotonic(), 0.0
