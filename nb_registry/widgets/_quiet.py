"""``Quiet``: set several widget values without their observers firing in between."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator


class Quiet:
    """Mixin: observers wrapped with :meth:`loud` are skipped inside ``with self.quietly():``.

    Replacing a Select's options moves its value (to the first option) before the wanted value is
    set; without this, each such step would redraw the panel."""

    _quiet_depth = 0

    @contextmanager
    def quietly(self) -> Iterator[None]:
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    def loud(self, fn: Callable[[Any], Any]) -> Callable[[Any], None]:
        def handler(change: Any) -> None:
            if not self._quiet_depth:
                fn(change)

        return handler
