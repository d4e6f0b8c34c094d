"""Moving a registry to another backend in one command: ``nb-registry migrate SRC DST [--blobs URL]``.

Everything moves as it is: version numbers (with the gaps retention left), digests, aliases with their
whole history, runs with their metric history, registered models with links, aliases, history and
events, prediction logs, and so the lineage. Blobs are copied first (each checked against its digest as it
is stored), then the metadata that names them, one collection or model per atomic step, so a migration
killed at any point leaves nothing that points at a missing blob, and running it again carries on where it
stopped (what is already there and identical is skipped; what is there and differs is an error). At the
end every version is resolved in both registries and compared, and every alias history is replayed.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

from .artifacts import Artifacts
from .errors import IntegrityError, NotFoundError
from .store.records import replay_aliases

Say = Callable[[str], None]


def _copy_blob(src: Artifacts, dst: Artifacts, digest: str, tmp: str) -> bool:
    """Copy one blob unless the destination has it; True when bytes were copied."""
    if dst.blobs.exists(digest):
        return False
    local = src.blobs.local_path(digest)
    if local is None:
        local = os.path.join(tmp, digest)
        src.blobs.get_file(digest, local)  # verified while it is fetched
    stored, _, _ = dst.blobs.put_file(local)
    if stored != digest:
        raise IntegrityError(f"blob {digest} of {src.url} does not hash to its name (it hashes to {stored}); "
                             "run nb-registry verify there")
    if local.startswith(tmp):
        os.unlink(local)
    return True


def migrate(src: Artifacts, dst: Artifacts, say: Say = lambda line: None) -> dict[str, Any]:
    """Copy everything of ``src`` into ``dst`` (see the module docstring); returns counts and the check."""
    report = {"collections": 0, "versions": 0, "runs": 0, "models": 0, "blobs": 0, "skipped": 0}
    with tempfile.TemporaryDirectory(prefix="nb_registry-migrate-") as tmp:
        for info in _dependencies_first(src):
            coll = src.meta.collection(info.project, info.name)
            versions = src.meta.versions(info.project, info.name)
            content = []
            for v in versions:
                entries = src.load_manifest(v.manifest)
                for digest in [*src.manifests.objects(v.manifest), *([v.code] if v.code else [])]:  # a tree: every node
                    report["blobs"] += _copy_blob(src, dst, digest, tmp)
                for name, e in entries.items():
                    if "artifact" in e or ("ref" in e and not str(e["ref"]).startswith("nbr://")):
                        continue  # a dependency or an external reference: no blob of ours
                    report["blobs"] += _copy_blob(src, dst, e["digest"], tmp)
                    content.append((e["digest"], v.id, name))
            history = src.meta.alias_history(info.project, info.name)
            nxt = (coll.latest + 1) if coll.latest is not None else 0
            if dst.meta.import_collection(coll, versions, history, content, next_version=nxt):
                report["collections"] += 1
                report["versions"] += len(versions)
                say(f"collection {info.project}/{info.name}: {len(versions)} versions")
            else:
                report["skipped"] += 1
        for run in src.meta.runs():
            if run.history and run.history.get("blob"):
                report["blobs"] += _copy_blob(src, dst, run.history["blob"], tmp)
            try:
                if dst.meta.get_run(run.project, run.id) == run:
                    report["skipped"] += 1
                    continue
            except NotFoundError:
                pass
            live = src.meta.read_history(run.project, run.id)
            if live and not dst.meta.read_history(run.project, run.id):
                dst.meta.append_history(run.project, run.id, live)
            dst.meta.save_run(run)
            report["runs"] += 1
        for model in src.meta.models():
            done = dst.meta.import_model(model, src.meta.model_versions(model.name), src.meta.model_history(model.name),
                                         [e for e in src.meta.events() if e.model == model.name],
                                         src.meta.deliveries(model.name))
            report["models" if done else "skipped"] += 1
            if done:
                say(f"registered model {model.name}")
        for info in src.meta.collections():
            for v in src.meta.versions(info.project, info.name):
                rows = src.meta.predictions(v.id)
                if rows and not dst.meta.predictions(v.id):
                    dst.meta.append_predictions(v.id, rows)
    report["check"] = check(src, dst)
    return report


def _dependencies_first(src: Artifacts) -> list[Any]:
    """The collections, each after the collections its versions depend on (a backend with foreign keys
    needs a dependency before what references it); a circle between collections keeps listing order."""
    infos = {f"{c.project}/{c.name}": c for c in src.meta.collections()}
    needs = {key: {d.split(":")[0] for v in src.meta.versions(c.project, c.name) for d in v.deps} - {key}
             for key, c in infos.items()}
    out: list[Any] = []
    done: set[str] = set()

    def visit(key: str, path: frozenset[str]) -> None:
        if key in done or key in path or key not in infos:
            return
        for dep in sorted(needs[key]):
            visit(dep, path | {key})
        done.add(key)
        out.append(infos[key])

    for key in infos:
        visit(key, frozenset())
    return out


def check(src: Artifacts, dst: Artifacts) -> dict[str, Any]:
    """Every version resolves to the same digest in both; every alias history replays to the aliases it has."""
    problems: list[str] = []
    versions = 0
    for info in src.meta.collections():
        for v in src.meta.versions(info.project, info.name):
            versions += 1
            try:
                there = dst.meta.get_version(v.project, v.name, v.version)
            except NotFoundError:
                problems.append(f"{v.id} is missing")
                continue
            if there.digest != v.digest or there.aliases != v.aliases:
                problems.append(f"{v.id} differs (digest {there.digest[:12]} vs {v.digest[:12]}, aliases {there.aliases} vs {v.aliases})")
        if replay_aliases(dst.meta.alias_history(info.project, info.name)) != dict(dst.meta.collection(info.project, info.name).aliases):
            problems.append(f"the alias history of {info.project}/{info.name} does not replay to its aliases")
    for model in src.meta.models():
        try:
            there = dst.meta.get_model(model.name)
        except NotFoundError:
            problems.append(f"registered model {model.name} is missing")
            continue
        links = [(v.version, v.artifact) for v in src.meta.model_versions(model.name)]
        if there.aliases != model.aliases or [(v.version, v.artifact) for v in dst.meta.model_versions(model.name)] != links:
            problems.append(f"registered model {model.name} differs")
    runs = {r.path for r in src.meta.runs()}
    missing_runs = sorted(runs - {r.path for r in dst.meta.runs()})
    problems += [f"run {r} is missing" for r in missing_runs]
    return {"versions": versions, "runs": len(runs), "models": len(src.meta.models()), "problems": problems}
