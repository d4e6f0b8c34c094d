"""Rich HTML for notebooks and static renderings (GitHub, nbviewer): plain HTML, no scripts."""

from __future__ import annotations

import html
from typing import Any


def _kv(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{v}</td></tr>" for k, v in rows)
    return f"<table class='nbr-kv'>{body}</table>"


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _chips(items: list[str]) -> str:
    return " ".join(f"<code>{html.escape(a)}</code>" for a in items) or "-"


def artifact_html(art: Any) -> str:
    if art.state != "COMMITTED":
        return f"<b>{html.escape(art.collection)}</b> (draft, {len(art.pending_entries())} entries)"
    rows = [
        ("artifact", f"<b>{html.escape(art.id)}</b> ({html.escape(art.type)})"),
        ("aliases", _chips(art.aliases)),
        ("digest", f"<code>{art.digest[:16]}</code>"),
        ("size", f"{_size(art.size)} in {art.file_count} entries"),
        ("created", f"{html.escape(str(art.created_at))[:19]} by {html.escape(str(art.created_by))}"),
    ]
    if art.deduplicated:
        rows.append(("deduplicated", "identical to this existing version: no new version, no new bytes"))
    if getattr(art, "linked_as", None):
        rows.append(("linked as", f"<code>{html.escape(art.linked_as)}</code>"))
    if art.description:
        rows.append(("description", html.escape(art.description)))
    if art.metadata:
        rows.append(("metadata", _kv([(k, html.escape(str(v))) for k, v in list(art.metadata.items())[:20]])))
    if art.dependencies:
        rows.append(("depends on", _chips(art.dependencies)))
    return _kv(rows)


def run_html(run: Any) -> str:
    rows = [
        ("run", f"<b>{html.escape(run.path)}</b> {html.escape(str(run.name))}"),
        ("state", html.escape(run.state)),
        ("job type", html.escape(str(run.job_type))),
        ("config", _kv([(k, html.escape(str(v))) for k, v in list(run.config.items())[:20]]) if run.config else "-"),
        ("summary", _kv([(k, html.escape(str(v))) for k, v in list(run.summary.items())[:20]]) if run.summary else "-"),
        ("inputs", _chips(run.inputs)),
        ("outputs", _chips(run.outputs)),
    ]
    return _kv(rows)


def registered_model_html(rm: Any) -> str:
    versions = rm.versions()
    vrows = "".join(
        f"<tr><td>{v['version']}</td><td>{_chips(v['aliases'])}</td><td><code>{html.escape(v['artifact'])}</code></td>"
        f"<td>{html.escape(str(v.get('run') or ''))}</td><td>{html.escape(str(v['linked_at'])[:19])}</td></tr>"
        for v in versions[-20:]
    )
    table = (f"<table><thead><tr><th>version</th><th>aliases</th><th>artifact</th><th>run</th><th>linked</th></tr></thead>"
             f"<tbody>{vrows}</tbody></table>")
    rows = [
        ("registered model", f"<b>{html.escape(rm.name)}</b>"),
        ("description", html.escape(rm.description or "-")),
        ("tags", _chips(rm.tags)),
        ("aliases", _chips([f"{a} → v{n}" for a, n in sorted(rm.aliases.items())])),
        ("versions", table),
    ]
    autos = rm.automation_runs()[-5:]
    if autos:
        arows = "".join(
            f"<tr><td>{html.escape(str(a['alias']))} → v{html.escape(str(a['version']))}</td>"
            f"<td>{html.escape(str(a['automation']))}</td><td>{html.escape(str(a['status']))} "
            f"(attempt {html.escape(str(a['attempts']))})</td>"
            f"<td><pre style='margin:0'>{html.escape(str(a['output'])[-300:])}</pre></td></tr>"
            for a in autos
        )
        rows.append(("automation deliveries", f"<table><tbody>{arows}</tbody></table>"))
    if rm.model_card:
        rows.append(("model card", f"<pre style='white-space:pre-wrap'>{html.escape(rm.model_card)}</pre>"))
    return _kv(rows)
