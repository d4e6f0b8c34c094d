"""Runs in TinyDB shards: one per run, written by the process that owns it."""

from __future__ import annotations

from typing import Any

from tinydb.table import Document

from ...errors import NotFoundError
from ..records import RunRecord
from ..shards import Shards, Tx
from . import layout


class RunsMixin:
    shards: Shards

    def _write_run(self, tx: Tx, run: RunRecord) -> None:
        rel = layout.run(run.project, run.id)
        stored = (tx.peek(rel) or {}).get("run", {}).get("1")
        doc = run.to_doc()
        if stored is not None and "gc_fence" in stored:
            doc["gc_fence"] = stored["gc_fence"]
        table = tx.table(rel, "run")
        table.remove(doc_ids=[1])
        table.insert(Document(doc, doc_id=1))

    def save_run(self, run: RunRecord) -> None:
        self.shards.transact(lambda tx: self._write_run(tx, run))

    def finish_run(self, run: RunRecord, *, gc_generation: int) -> None:
        def finish(tx: Tx) -> None:
            stored = (tx.peek(layout.run(run.project, run.id)) or {}).get("run", {}).get("1") or {}
            self._check_generation(tx, gc_generation, int(stored.get("gc_fence", 0)))  # type: ignore[attr-defined]
            self._write_run(tx, run)

        self.shards.transact(finish)

    def use_version(self, project: str, run_id: str, version_id: str) -> RunRecord:
        def use(tx: Tx) -> RunRecord:
            run = self._run_in(tx, project, run_id)
            self._pin(tx, version_id, f"used by run {project}/{run_id}")  # type: ignore[attr-defined]
            if version_id not in run.inputs:
                run = run.replace(inputs=(*run.inputs, version_id))
                self._write_run(tx, run)
            return run

        return self.shards.transact(use)

    def _run_in(self, src: Any, project: str, run_id: str) -> RunRecord:
        doc = (src.peek(layout.run(project, run_id)) or {}).get("run", {}).get("1")
        if not doc:
            raise NotFoundError(f"no run {run_id!r} in project {project!r}")
        return RunRecord.from_doc({k: v for k, v in doc.items() if k != "gc_fence"})

    def get_run(self, project: str, run_id: str) -> RunRecord:
        return self._run_in(self.shards, project, run_id)

    def find_runs(self, run_id: str) -> list[RunRecord]:
        out = []
        for p in self.shards.listdir("runs"):
            if self.shards.exists(layout.run(p, run_id)):
                out.append(self.get_run(p, run_id))
        return out

    def runs(self, project: str | None = None) -> list[RunRecord]:
        out = []
        for p in [project] if project else self.shards.listdir("runs"):
            for f in self.shards.listdir(f"runs/{p}"):
                if f.endswith(".json"):
                    doc = (self.shards.read(f"runs/{p}/{f}") or {}).get("run", {}).get("1")
                    if doc:
                        out.append(RunRecord.from_doc({k: v for k, v in doc.items() if k != "gc_fence"}))
        return out

    def append_history(self, project: str, run_id: str, data: bytes) -> None:
        rel = layout.live_history(project, run_id)
        self.shards.files.append("journal.log", f"{rel}\n".encode(), durable=False)  # watchers of a run see it grow
        self.shards.files.append(rel, data)

    def read_history(self, project: str, run_id: str) -> bytes:
        return self.shards.files.read_from(layout.live_history(project, run_id), 0)

    def drop_history(self, project: str, run_id: str) -> None:
        self.shards.files.delete(layout.live_history(project, run_id))
