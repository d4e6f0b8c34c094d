"""Run queries: filter and sort runs on config, summary, tags, state and job type.

    api.runs("hpo", filters={"config.lr": {"$lt": 0.01}, "summary.acc": {"$gte": 0.9}}, order="-summary.acc")

The filter language is :mod:`nb_registry.query`'s (shared with artifact queries). The result is a
:class:`~nb_registry.table.Table` with one row per run and flattened ``config.*`` / ``summary.*``
columns, ready for ``to_records()`` or ``to_pandas()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .query import query
from .runs import all_run_docs
from .runstate import effective_state
from .table import Table

if TYPE_CHECKING:
    from .registry import Registry

BASE_COLUMNS = ["id", "project", "name", "state", "job_type", "tags", "user", "started_at", "ended_at"]


def run_record(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The queryable view of a run document (nested ``config`` / ``summary``)."""
    rec = {k: doc.get(k) for k in BASE_COLUMNS}
    rec.update(state=effective_state(doc), config=dict(doc.get("config") or {}), summary=dict(doc.get("summary") or {}),
               notes=doc.get("notes"), host=doc.get("host"), git=(doc.get("git") or {}).get("commit"),
               inputs=list(doc.get("inputs", [])), outputs=list(doc.get("outputs", [])))
    return rec


def flatten(rec: Mapping[str, Any]) -> dict[str, Any]:
    row = {k: rec.get(k) for k in BASE_COLUMNS}
    for group in ("config", "summary"):
        for k, v in (rec.get(group) or {}).items():
            row[f"{group}.{k}"] = v
    return row


def query_runs(reg: "Registry", project: str | None = None, filters: Mapping[str, Any] | None = None,
               order: str | Sequence[str] | None = None, limit: int | None = None) -> Table:
    """Runs of ``project`` (every project if None), filtered and sorted; newest first by default."""
    records = [run_record(d) for d in all_run_docs(reg, project)]
    rows = query(records, filters, order or "-started_at", limit)
    flat = [flatten(r) for r in rows]
    columns = BASE_COLUMNS + sorted({k for r in flat for k in r if k.startswith("config.")}) \
        + sorted({k for r in flat for k in r if k.startswith("summary.")})
    return Table(flat, columns)
