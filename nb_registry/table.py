"""``Table``: query results as rows, with ``to_records()``, ``to_pandas()`` and an HTML view."""

from __future__ import annotations

from typing import Any, Iterator, Sequence


class Table:
    """A list of dict rows with stable columns. Indexing gives rows; ``column(name)`` a column."""

    def __init__(self, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
        self._rows = list(rows)
        self.columns = list(columns) if columns is not None else list(dict.fromkeys(k for r in self._rows for k in r))

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self._rows[i]

    def column(self, name: str) -> list[Any]:
        return [r.get(name) for r in self._rows]

    def to_records(self) -> list[dict[str, Any]]:
        return [{c: r.get(c) for c in self.columns} for r in self._rows]

    def to_pandas(self) -> Any:
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install pandas (to_records() needs nothing)") from None
        return pd.DataFrame.from_records(self.to_records(), columns=self.columns)

    def __repr__(self) -> str:
        return f"<Table {len(self)} rows x {len(self.columns)} columns: {', '.join(self.columns[:8])}{' ...' if len(self.columns) > 8 else ''}>"

    def _repr_html_(self, limit: int = 50) -> str:
        from .htmlsafe import h, join

        head = join(h("<th>{}</th>", c) for c in self.columns)
        body = join(h("<tr>{}</tr>", join(h("<td>{}</td>", _fmt(r.get(c))) for c in self.columns)) for r in self._rows[:limit])
        more = h("<p>{} more rows</p>", len(self) - limit) if len(self) > limit else ""
        return h("<table class='nbr-table'><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}", head, body, more)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
