"""Progress of long uploads and downloads, reported to whoever listens (a notebook progress bar).

The core calls ``Tracker(total, label).add(n)``; a face registers a listener for the duration of
an operation with ``with report_to(fn):``. Listeners get ``fn(done_bytes, total_bytes, label)``.
Nothing listens by default, and then tracking costs a few attribute reads per file.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator

Listener = Callable[[int, int, str], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


@contextlib.contextmanager
def report_to(fn: Listener) -> Iterator[None]:
    _listeners.append(fn)
    try:
        yield
    finally:
        _listeners.remove(fn)


class Tracker:
    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self._notify()

    def add(self, n: int) -> None:
        with _lock:
            self.done += n
        self._notify()

    def _notify(self) -> None:
        for fn in list(_listeners):
            fn(self.done, self.total, self.label)
