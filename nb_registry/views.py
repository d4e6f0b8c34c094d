"""JSON views of registry objects, shared by the server's REST API and the CLI's ``--json``.

Pure functions: an object in, a JSON-ready dict out. The TypeScript interfaces in
``labextension/src/tokens.ts`` and ``nb_registry/server/openapi.yaml`` mirror these shapes.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .artifact import Artifact
    from .models import RegisteredModel
    from .runs import Run

def to_json(data: Any, **kwargs: Any) -> str:
    """Strict JSON for other programs: NaN and Infinity (allowed in metadata and metrics) become null,
    since JSON has no such numbers and browsers' ``JSON.parse`` rejects them."""
    try:
        return json.dumps(data, default=str, allow_nan=False, **kwargs)
    except ValueError:
        return json.dumps(_finite(data), default=str, allow_nan=False, **kwargs)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


VERSION_FIELDS = ("type", "description", "metadata", "digest", "size", "files", "created_at", "created_by",
                  "host", "run", "deps", "git")


def version_view(art: "Artifact", entries: bool = False) -> dict[str, Any]:
    doc = art.info
    out: dict[str, Any] = {"id": art.id, "project": art.project, "name": art.collection, "version": art.version,
                           "aliases": list(art.aliases), **{k: doc.get(k) for k in VERSION_FIELDS}}
    if entries:
        out["entries"] = [{"path": e.path, "digest": e.digest, "size": e.size, "ref": e.ref, "dependency": e.dependency}
                          for e in art.files()]
        out["producer"] = art.producer_run
        out["used_by"] = [r.path for r in art.used_by()]
        linked = getattr(art, "linked_as", None)
        if linked:
            out["linked_as"] = linked
    return out


def model_summary(rm: "RegisteredModel") -> dict[str, Any]:
    return {"name": rm.name, "description": rm.description, "tags": rm.tags, "aliases": rm.aliases,
            "versions": rm.version_count, "created_at": rm.created_at}


def model_view(rm: "RegisteredModel") -> dict[str, Any]:
    return {**model_summary(rm), "model_card": rm.model_card, "versions": rm.versions(), "history": rm.history(),
            "automations": rm.automations(), "automation_runs": rm.automation_runs(), "deliveries": rm.deliveries()}


def run_view(run: "Run") -> dict[str, Any]:
    return run.info
