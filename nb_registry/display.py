"""Rich HTML for notebooks and static renderings (GitHub, nbviewer): plain HTML, no scripts.

Every value shown comes from the registry and is escaped by :mod:`nb_registry.htmlsafe`."""

from __future__ import annotations

from typing import Any

from .htmlsafe import Markup, h, join


def _kv(rows: list[tuple[str, Any]]) -> Markup:
    body = join(h("<tr><th style='text-align:left'>{}</th><td style='text-align:left'>{}</td></tr>", k, v) for k, v in rows)
    return h("<table class='nbr-kv'>{}</table>", body)


def _size(n: Any) -> str:
    if not isinstance(n, (int, float)) or isinstance(n, bool):
        return "?" if n is None else str(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _chips(items: Any) -> Markup:
    return join((h("<code>{}</code>", a) for a in items), " ") or h("-")


def _short(value: Any, n: int) -> str:
    return str(value)[:n]


def artifact_html(art: Any) -> Markup:
    if art.state != "COMMITTED":
        return h("<b>{}</b> (draft, {} entries)", art.collection, len(art.pending_entries()))
    rows: list[tuple[str, Any]] = [
        ("artifact", h("<b>{}</b> ({})", art.id, art.type)),
        ("aliases", _chips(art.aliases)),
        ("digest", h("<code>{}</code>", _short(art.digest, 16))),
        ("size", h("{} in {} entries", _size(art.size), art.file_count)),
        ("created", h("{} by {}", _short(art.created_at, 19), art.created_by)),
    ]
    if art.deduplicated:
        rows.append(("deduplicated", "identical to this existing version: no new version, no new bytes"))
    if getattr(art, "linked_as", None):
        rows.append(("linked as", h("<code>{}</code>", art.linked_as)))
    if art.description:
        rows.append(("description", art.description))
    if art.metadata:
        rows.append(("metadata", _kv(list(art.metadata.items())[:20])))
    if art.dependencies:
        rows.append(("depends on", _chips(art.dependencies)))
    return _kv(rows)


def run_html(run: Any) -> Markup:
    rows: list[tuple[str, Any]] = [
        ("run", h("<b>{}</b> {}", run.path, run.name)),
        ("state", run.state),
        ("job type", run.job_type),
        ("config", _kv(list(run.config.items())[:20]) if run.config else "-"),
        ("summary", _kv(list(run.summary.items())[:20]) if run.summary else "-"),
        ("inputs", _chips(run.inputs)),
        ("outputs", _chips(run.outputs)),
    ]
    return _kv(rows)


def _automation_rows(autos: list[dict[str, Any]]) -> Markup:
    return join(
        h("<tr><td>{} → v{}</td><td>{}</td><td>{} (attempt {})</td><td><code>{}</code></td>"
          "<td><pre style='margin:0'>{}</pre></td></tr>",
          a.get("alias"), a.get("version"), a.get("automation"), a.get("status"), a.get("attempts"),
          _short(a.get("command"), 80), str(a.get("output"))[-300:])
        for a in autos)


def registered_model_html(rm: Any) -> Markup:
    vrows = join(
        h("<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
          v["version"], _chips(v["aliases"]), v["artifact"], v.get("run") or "", _short(v["linked_at"], 19))
        for v in rm.versions()[-20:])
    table = h("<table><thead><tr><th>version</th><th>aliases</th><th>artifact</th><th>run</th><th>linked</th></tr></thead>"
              "<tbody>{}</tbody></table>", vrows)
    rows: list[tuple[str, Any]] = [
        ("registered model", h("<b>{}</b>", rm.name)),
        ("description", rm.description or "-"),
        ("tags", _chips(rm.tags)),
        ("aliases", _chips([f"{a} → v{n}" for a, n in sorted(rm.aliases.items())])),
        ("versions", table),
    ]
    autos = rm.automation_runs()[-5:] if hasattr(rm, "automation_runs") else []
    if autos:
        rows.append(("automation deliveries", h("<table><tbody>{}</tbody></table>", _automation_rows(autos))))
    if rm.model_card:
        rows.append(("model card", h("<pre style='white-space:pre-wrap'>{}</pre>", rm.model_card)))
    return _kv(rows)
