"""Runs in PostgreSQL: one row per run (its record as JSON), its inputs as rows that protect the
versions it used (a foreign key), and its live metric history as appended chunks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...errors import NotFoundError
from ..records import RunRecord
from .base import Base, dumps, q


class RunOps(Base):
    def _save(self, conn: sa.Connection, run: RunRecord) -> None:
        doc = dumps(run.to_doc(), f"run {run.path}")
        conn.execute(q("INSERT INTO runs (project, id, doc) VALUES (:p, :id, CAST(:doc AS json)) "
                       "ON CONFLICT (project, id) DO UPDATE SET doc = EXCLUDED.doc"),
                     {"p": run.project, "id": run.id, "doc": doc})
        inputs = sorted(set(run.inputs))
        conn.execute(q("DELETE FROM run_inputs WHERE project = :p AND run_id = :id AND NOT (vid = ANY(:keep))"),
                     {"p": run.project, "id": run.id, "keep": inputs})
        if inputs:
            self._lock_versions(conn, inputs, f"run {run.path} used")
            conn.execute(q("INSERT INTO run_inputs (project, run_id, vid) VALUES (:p, :id, :vid) ON CONFLICT DO NOTHING"),
                         [{"p": run.project, "id": run.id, "vid": v} for v in inputs])
        self._changed(conn, [("run", run.path)])

    def _lock_versions(self, conn: sa.Connection, vids: list[str], what: str) -> None:
        """Each version must exist; locked so that retention cannot remove it before we commit."""
        found = set(conn.execute(q("SELECT vid FROM versions WHERE vid = ANY(:v) FOR KEY SHARE"), {"v": vids}).scalars())
        missing = [v for v in vids if v not in found]
        if missing:
            raise NotFoundError(f"{what} {', '.join(missing)}, which does not exist")

    def save_run(self, run: RunRecord) -> None:
        self._write(lambda conn: self._save(conn, run))

    def finish_run(self, run: RunRecord, *, gc_generation: int) -> None:
        def op(conn: sa.Connection) -> None:
            self._check_generation(conn, gc_generation)
            self._save(conn, run)

        self._write(op)

    def use_version(self, project: str, run_id: str, version_id: str) -> RunRecord:
        def op(conn: sa.Connection) -> RunRecord:
            doc = conn.execute(q("SELECT doc FROM runs WHERE project = :p AND id = :id FOR UPDATE"),
                               {"p": project, "id": run_id}).scalar()
            if doc is None:
                raise self._missing_run(conn, project, run_id)
            run = RunRecord.from_doc(doc)
            if version_id not in run.inputs:
                run = run.replace(inputs=(*run.inputs, version_id))
            self._lock_versions(conn, [version_id], f"run {project}/{run_id} cannot use")
            self._save(conn, run)
            return run

        return self._write(op)

    def get_run(self, project: str, run_id: str) -> RunRecord:
        def op(conn: sa.Connection) -> RunRecord:
            doc = conn.execute(q("SELECT doc FROM runs WHERE project = :p AND id = :id"), {"p": project, "id": run_id}).scalar()
            if doc is None:
                raise self._missing_run(conn, project, run_id)
            return RunRecord.from_doc(doc)

        return self._read(op)

    def find_runs(self, run_id: str) -> list[RunRecord]:
        return self._runs("WHERE id = :id", {"id": run_id})

    def runs(self, project: str | None = None) -> list[RunRecord]:
        return self._runs("WHERE CAST(:p AS text) IS NULL OR project = :p", {"p": project})

    def _runs(self, where: str, args: dict[str, Any]) -> list[RunRecord]:
        docs = self._read(lambda conn: conn.execute(q(f"SELECT doc FROM runs {where} ORDER BY project, id"), args).scalars().all())
        return [RunRecord.from_doc(d) for d in docs]

    def append_history(self, project: str, run_id: str, data: bytes) -> None:
        if not data:
            return

        def op(conn: sa.Connection) -> None:
            conn.execute(q("INSERT INTO run_history (project, run_id, data) VALUES (:p, :id, :d)"),
                         {"p": project, "id": run_id, "d": bytes(data)})
            self._changed(conn, [("run", f"{project}/{run_id}")])

        self._write(op)

    def read_history(self, project: str, run_id: str) -> bytes:
        data = self._read(lambda conn: conn.execute(q(
            "SELECT string_agg(data, ''::bytea ORDER BY id) FROM run_history WHERE project = :p AND run_id = :id"),
            {"p": project, "id": run_id}).scalar())
        return bytes(data or b"")

    def drop_history(self, project: str, run_id: str) -> None:
        def op(conn: sa.Connection) -> None:
            gone = conn.execute(q("DELETE FROM run_history WHERE project = :p AND run_id = :id"),
                                {"p": project, "id": run_id}).rowcount
            if gone:
                self._changed(conn, [("run", f"{project}/{run_id}")])

        self._write(op)
