"""JSON views of registry objects, shared by the server's REST API and the CLI's ``--json``.

Pure functions: an object in, a JSON-ready dict out. The TypeScript interfaces in
``labextension/src/tokens.ts`` and ``nb_registry/server/openapi.yaml`` mirror these shapes.
"""

from __future__ import annotations

import json
import math
import shlex
import urllib.parse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .artifact import Artifact
    from .models import RegisteredModel


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


DELIVERIES_SHOWN = 20
DETAIL_SHOWN = 2000  # characters: the tail of a hook's output (the registry keeps more)


def model_view(rm: "RegisteredModel") -> dict[str, Any]:
    """A registered model's page: summary, card, versions (with their tags), alias history, the hooks of *your*
    configuration that react to it, and the latest deliveries of its events (newest first)."""
    deliveries = rm.deliveries()
    events = {e["id"]: e for e in rm.events()} if deliveries else {}
    return {**model_summary(rm), "model_card": rm.model_card, "versions": rm.versions(), "history": rm.history(),
            "automations": [hook_view(h) for h in rm.automations()],
            "deliveries": [delivery_view(d, events.get(d["event"])) for d in deliveries[::-1][:DELIVERIES_SHOWN]],
            "deliveries_total": len(deliveries)}


def hook_view(hook: dict[str, Any]) -> dict[str, Any]:
    """A hook of the user's configuration as a page shows it: what it reacts to and what it does, never its
    secret; a webhook by its origin only (a path or query may hold a token, as Slack's URLs do)."""
    if "webhook" in hook:
        kind, target = "webhook", _origin(str(hook["webhook"]))
    else:
        command = hook.get("command")
        kind, target = "command", shlex.join(map(str, command)) if isinstance(command, list) else str(command)
    return {"name": hook.get("name"), "model": hook.get("model", "*"), "alias": hook.get("alias", "*"),
            "events": list(hook.get("events", ["alias"])), "kind": kind, "target": target,
            "signed": kind == "webhook" and bool(hook.get("secret") or hook.get("secret_env")),
            "on_remove": bool(hook.get("on_remove", False)), "since": hook.get("since")}


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a port number: the request would fail anyway
        port = ""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    rest = "/…" if parts.path.strip("/") or parts.query else "/"
    return f"{parts.scheme}://{host}{port}{rest}"


def delivery_view(d: dict[str, Any], event: dict[str, Any] | None) -> dict[str, Any]:
    """One delivery record with the event it delivered (kind, alias, from and to version, artifact)."""
    event = event or {}
    detail = str(d.get("detail") or "")
    return {"event": d.get("event"), "hook": d.get("hook"), "status": d.get("status"), "attempts": d.get("attempts"),
            "at": d.get("at"), "worker": d.get("worker"),
            "detail": detail if len(detail) <= DETAIL_SHOWN else "…" + detail[-DETAIL_SHOWN:],
            "kind": event.get("kind"), "alias": event.get("alias"), "from": event.get("from"),
            "version": event.get("to"), "artifact": event.get("artifact")}
