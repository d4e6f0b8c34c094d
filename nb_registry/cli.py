"""``nb-registry``: the registry from a shell, for pipelines outside notebooks.

    nb-registry log model ./model.pt ./tokenizer --type model --alias best --metadata val_acc=0.93
    nb-registry download model:best -o ./model
    nb-registry --json show model:best

A thin shell over :class:`nb_registry.api.Api`: every command calls library verbs and formats what
they return. ``--json`` prints exactly one JSON document on stdout; errors go to stderr as
``nb-registry: error: <message>`` with the exit code of the error class (see ``EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from typing import Any, Callable, Sequence

from .cli_text import (_count, _filter_expr, _key_value, _kv, _size, _table, _tree,  # noqa: F401 - tests use them
                       _version)
from .errors import IntegrityError, InvalidSpecError, NotFoundError, RegistryError
from .store.storage_errors import translate
from .views import to_json

__all__ = ["main", "build_parser"]

EXIT_CODES = """exit codes:
  0  success
  1  other registry error, or an OS error (permission denied, disk full ...)
  2  usage error: bad arguments, names, specs, filters or entry paths
  3  not found: unknown artifact, alias, version, file, run or registered model
  4  already exists
  5  integrity: verify failed, a damaged blob, a changed reference, corrupt metadata
  6  another writer held the registry lock for too long
  7  storage: no credentials, access denied, no such bucket or an unreachable endpoint (the message says
     which, for which URL, and what the back end reads to fix it)
  130 interrupted"""

SPEC_HELP = "name:alias, name:vN, project/name:alias, or model-registry/NAME:ALIAS for a registered model"
EXAMPLES = """examples:
  nb-registry log model ./model.pt ./tokenizer --alias best --metadata val_acc=0.93
  nb-registry ls model                      the versions of 'model', with their aliases
  nb-registry alias model:v1 production     point 'production' at v1
  nb-registry download model:production -o ./model
  nb-registry --json show model:best        every field, as JSON

"""

Result = tuple[Any, str]  # (JSON-ready data for --json, text for humans)


def _entries(art: Any) -> list[dict[str, Any]]:
    return [{"path": e.path, "digest": e.digest, "size": e.size, "ref": e.ref, "dependency": e.dependency}
            for e in art.files()]


# -- issue 2: artifacts --------------------------------------------------------------------------
def _count_files(path: str) -> int:
    if not os.path.isdir(path):
        return 1
    return sum(len(files) for _, _, files in os.walk(path))


def cmd_log(api: Any, args: argparse.Namespace) -> Result:
    from .api import init
    from .artifact import Artifact
    from .names import check_alias, check_name

    # Everything that can be checked is checked before the run starts, so that bad input leaves the
    # registry exactly as it was (no 'failed' run record behind).
    project, _, name = args.name.rpartition("/")
    project = check_name(project or api.project, "project")
    check_name(name, "artifact name")
    for a in args.alias:
        if a != "latest":
            check_alias(a)
    art = Artifact(name, type=args.type, description=args.description, metadata=dict(args.metadata))
    for path in args.paths:  # a folder given alone is the artifact; several keep their folder names
        if os.path.isdir(path):
            art.add_dir(path, None if len(args.paths) == 1 else os.path.basename(os.path.abspath(path)))
        else:
            art.add_file(path)
    if not args.ref and not sum(_count_files(p) for p in args.paths):
        raise InvalidSpecError(f"nothing to log: {', '.join(args.paths)} holds no files")
    existing = next((c for c in api.artifact_collections(project=project) if c["name"] == name), None)
    if existing is not None and existing["type"] != args.type:
        raise InvalidSpecError(f"collection {project}/{name} holds artifacts of type {existing['type']!r}, not "
                               f"{args.type!r}; use another name or --type {existing['type']}")
    refs = [api.registry.artifact(spec, project) for spec in args.ref]  # each must resolve
    for dep in refs:
        art.add_reference(dep)
    with init(project=project, job_type="cli", root=args.root) as run:
        for dep in refs:
            run.use_artifact(dep)  # an input edge in the lineage
        logged = run.log_artifact(art, aliases=args.alias)
    data = {"id": logged.id, "name": logged.name, "version": logged.version, "digest": logged.digest,
            "size": logged.size, "files": logged.info.get("files"), "new_bytes": getattr(logged, "new_bytes", None),
            "deduplicated": logged.deduplicated, "aliases": logged.aliases, "run": run.path}
    stored = " (all of this content was stored already)" if data["new_bytes"] == 0 and not logged.deduplicated else ""
    text = _kv([("logged", logged.id), ("digest", logged.digest),
                ("size", f"{_size(logged.size)} in {data['files']} file(s)"), ("new bytes", _size(data["new_bytes"]) + stored),
                ("deduplicated", "yes (identical to an existing version)" if logged.deduplicated else "no"),
                ("aliases", logged.aliases), ("run", run.path)])
    return data, text


def cmd_download(api: Any, args: argparse.Namespace) -> Result:
    art = api.artifact(args.spec)
    path = art.download(root=args.output, refs=args.refs)
    return {"id": art.id, "path": path}, path


def cmd_alias(api: Any, args: argparse.Namespace) -> Result:
    from .names import Spec

    spec = Spec.parse(args.spec, api.project)
    explicit = ":" in args.spec  # SPEC names a version (or an alias): --remove checks the alias is there
    if spec.is_registry and not any(c["name"] == spec.name for c in api.artifact_collections(project=spec.project)):
        return _registered_alias(api, args, spec, explicit)
    if args.remove:
        version = api.artifact(args.spec).record.version if explicit else None  # checked again under the lock
        api.remove_alias(f"{spec.project}/{spec.name}", args.alias, version)
        return {"spec": args.spec, "alias": args.alias, "removed": True}, f"removed alias {args.alias!r} from {args.spec}"
    art = api.set_alias(args.spec, args.alias)
    return {"id": art.id, "alias": args.alias, "aliases": art.aliases}, f"{args.alias} -> {art.id}"


def _registered_alias(api: Any, args: argparse.Namespace, spec: Any, explicit: bool) -> Result:
    """``alias model-registry/NAME:SEL ALIAS``: move (or --remove) an alias of the registered model itself,
    never of the artifact collection behind it. SEL is ``vN``, ``latest`` or one of the model's aliases."""
    from .names import version_number

    rm = api.registered_model(spec.name)
    sel = spec.selector
    if version_number(sel) is not None:
        version: Any = sel
    elif sel == "latest":
        version = rm.artifact("latest").linked_as.rpartition(":")[2]  # NotFoundError if nothing is linked
    elif sel in rm.aliases:
        version = f"v{rm.aliases[sel]}"
    else:
        raise NotFoundError(f"registered model {rm.name!r} has no alias {sel!r}; aliases: "
                            f"{', '.join(['latest', *sorted(rm.aliases)])}; or give a version, e.g. {rm.name}:v0")
    target = f"model-registry/{rm.name}"
    if args.remove:
        rm.remove_alias(args.alias, version if explicit else None)
        return ({"registered_model": rm.name, "alias": args.alias, "removed": True},
                f"removed alias {args.alias!r} from {target}")
    rm.set_alias(args.alias, version)
    n = rm.aliases[args.alias]
    return ({"registered_model": rm.name, "alias": args.alias, "version": f"v{n}", "aliases": rm.aliases,
             "artifact": rm.artifact(f"v{n}").id}, f"{args.alias} -> {target}:v{n}")


def cmd_ls(api: Any, args: argparse.Namespace) -> Result:
    if args.name:
        rows = [{"version": a.version, "aliases": a.aliases, "digest": a.digest, "size": a.size,
                 "files": a.info.get("files"), "created_at": a.created_at} for a in api.artifact_versions(args.name)]
        text = _table([dict(r, digest=r["digest"][:12], size=_size(r["size"])) for r in rows])
        return rows, text
    rows = api.artifact_collections(project=args.project)
    return rows, _table(rows, ["project", "name", "type", "created_at"], "(no artifacts)")


def cmd_show(api: Any, args: argparse.Namespace) -> Result:
    art = api.artifact(args.spec)
    data = {"id": art.id, **art.info, "entries": _entries(art)}
    shown = {"version": art.version, "size": _size(art.size)}  # v0, 51 B: as everything else says them
    fields = [(k, shown.get(k, v)) for k, v in data.items() if k not in ("entries", "metadata")]
    fields += [(f"metadata.{k}", v) for k, v in sorted(art.metadata.items())]
    files = _table([dict(e, digest=e["digest"][:12], size=_size(e["size"])) for e in data["entries"]],
                   ["path", "size", "digest", "ref", "dependency"])
    return data, f"{_kv(fields)}\n\n{files}"


def cmd_diff(api: Any, args: argparse.Namespace) -> Result:
    d = api.diff(args.a, args.b)
    lines = [f"--- {d['from']}", f"+++ {d['to']}"]
    lines += [f"+ {n}" for n in d["added"]] + [f"- {n}" for n in d["removed"]] + [f"~ {n}" for n in d["changed"]]
    lines += [f"~ metadata.{k}: {json.dumps(v['from'])} -> {json.dumps(v['to'])}" for k, v in d["metadata"].items()]
    if len(lines) == 2:
        lines.append("(identical files and metadata)")
    return d, "\n".join(lines)


def cmd_find(api: Any, args: argparse.Namespace) -> Result:
    rows = [{"id": a.id, "entry": entry, "aliases": a.aliases, "type": a.type}
            for a, entry in api.find_by_content(args.path_or_digest)]
    return rows, _table(rows, empty="(no artifact version holds this content)")


def cmd_verify(api: Any, args: argparse.Namespace) -> Result:
    art = api.artifact(args.spec)
    art.verify(root=args.dir)  # raises IntegrityError (exit 5) listing every problem
    n = art.info.get("files")
    return {"id": art.id, "ok": True, "files": n, "problems": []}, f"ok: {art.id} ({n} entries) verified"


def cmd_gc(api: Any, args: argparse.Namespace) -> Result:
    report = api.gc(dry_run=not args.yes)
    verb = "removed" if args.yes else "would remove"
    lines = [f"{verb} {report['blobs']} blob(s), {_size(report['bytes'])}, and {len(report['versions'])} version(s)"
             " (blobs written in the last hour are left alone: a writer may not have committed them yet)"]
    lines += [f"  {v['artifact']}  {_size(v.get('size'))}" for v in report["versions"]]
    if report.get("unranked"):
        lines.append(f"{len(report['unranked'])} version(s) not ranked by their retention metric (never counted as best):")
        lines += [f"  {u['artifact']}: {u['reason']}" for u in report["unranked"]]
    if not args.yes:
        lines.append("(dry run: nothing removed; run 'gc --yes' to remove)")
    return report, "\n".join(lines)


def cmd_retention(api: Any, args: argparse.Namespace) -> Result:
    policy = api.set_retention(args.name, keep_best=args.keep_best, metric=args.metric, mode=args.mode,
                               keep_last=args.keep_last)
    if not policy:
        return {}, f"{args.name}: no retention policy (every version is kept)"
    always = ("every version with an alias, linked to a registered model, referenced by another artifact or "
              "used by a run")
    parts = []
    if policy.get("keep_best"):
        parts.append(f"the best {policy['keep_best']} by {policy['metric']} ({policy['mode']})")
    if policy.get("keep_last"):
        parts.append(f"the last {policy['keep_last']}")
    if not parts:  # --keep-last 0
        return policy, f"{args.name}: gc keeps only the latest version and {always}; it removes the others"
    return policy, f"{args.name}: gc keeps {' and '.join(parts)}, plus the latest version and {always}"


# -- issue 3: runs, lineage, the model registry --------------------------------------------------
def cmd_runs(api: Any, args: argparse.Namespace) -> Result:
    filters: dict[str, dict[str, Any]] = {}
    for path, op, value in args.filter:
        filters.setdefault(path, {})[op] = value
    records = api.runs(args.project, filters or None, args.sort or None).to_records()
    return records, _table(records, empty="(no runs)")


def cmd_lineage(api: Any, args: argparse.Namespace) -> Result:
    graph = api.lineage(args.spec, args.direction, args.depth)
    dirs = ["up", "down"] if args.direction == "both" else [args.direction]
    return graph, "\n".join(_tree(graph, graph["root"], d) for d in dirs)


def cmd_link(api: Any, args: argparse.Namespace) -> Result:
    art = api.link(args.spec, args.registered, aliases=args.alias)
    data = {"artifact": art.id, "linked_as": getattr(art, "linked_as", None), "aliases": args.alias}
    return data, f"linked {art.id} as {data['linked_as']}" + (f" [{', '.join(args.alias)}]" if args.alias else "")


def cmd_migrate(api: Any, args: argparse.Namespace) -> Result:
    from .artifacts import Artifacts
    from .migrate import migrate

    _check_root(args.src, must_exist=True)
    src = Artifacts(args.src, blobs=args.src_blobs)
    dst = Artifacts(args.dst, blobs=args.blobs)
    report = migrate(src, dst, say=lambda line: print(line, file=sys.stderr, flush=True))
    problems = report["check"]["problems"]
    if problems:
        raise IntegrityError(f"{len(problems)} differences after copying {src.url} to {dst.url}:\n  " + "\n  ".join(problems[:20]))
    c = report["check"]
    text = (f"copied {src.url} -> {dst.url}: {report['collections']} collections ({report['versions']} versions), "
            f"{report['runs']} runs, {report['models']} registered models, {report['blobs']} blobs "
            f"({report['skipped']} already there)\nverified: {c['versions']} versions, {c['runs']} runs, "
            f"{c['models']} registered models: identical")
    return report, text


def cmd_automations_add(api: Any, args: argparse.Namespace) -> Result:
    from .automations import add_command_hook, config_path, save_hook

    events = ["alias", "link"] if args.link else ["alias"]
    if args.command is not None:
        hook = add_command_hook(api.registry, args.model, args.alias, args.command, args.name) if args.model != "*" else \
            save_hook({"name": args.name or f"all-{args.alias}", "model": "*", "alias": args.alias, "command": args.command})
        if args.link:
            hook = save_hook({**hook, "events": events})
    else:
        hook = save_hook({"name": args.name or f"{args.model}-{args.alias}".replace("*", "all"), "model": args.model,
                          "alias": args.alias, "webhook": args.webhook, "events": events,
                          **({"secret_env": args.secret_env} if args.secret_env else {})})
    return hook, f"added hook {hook['name']!r} to {config_path()} (run it with: nb-registry automations serve)"


def cmd_automations_ls(api: Any, args: argparse.Namespace) -> Result:
    from .automations import config_path, load_hooks

    hooks = load_hooks()
    deliveries = [d.to_dict() for d in api.registry.meta.deliveries()]
    rows = [{"name": h["name"], "model": h.get("model", "*"), "alias": h.get("alias", "*"),
             "does": h.get("command") or h.get("webhook")} for h in hooks]
    text = f"hooks in {config_path()}:\n" + _table(rows, ["name", "model", "alias", "does"])
    text += "\n\nlatest deliveries:\n" + _table(deliveries[-20:], ["event", "hook", "status", "attempts", "at", "detail"])
    return {"hooks": hooks, "deliveries": deliveries}, text


def cmd_automations_serve(api: Any, args: argparse.Namespace) -> Result:
    from .automations import Worker

    worker = Worker(api.registry)
    if args.once:
        made = worker.run_once()
        return {"deliveries": made}, f"made {made} deliveries"
    print(f"delivering events of {api.registry.url} to your hooks; Ctrl-C stops", file=sys.stderr, flush=True)
    worker.serve(poll=args.poll)
    return {}, ""


def _model_row(m: Any) -> dict[str, Any]:
    return {"name": m.name, "description": m.description, "tags": list(m.tags), "aliases": dict(m.aliases)}


def cmd_registry_ls(api: Any, args: argparse.Namespace) -> Result:
    rows = [_model_row(m) for m in api.registered_models(args.tag, args.search)]
    text = [dict(r, aliases=[f"{a}={_version(n)}" for a, n in sorted(r["aliases"].items())]) for r in rows]
    return rows, _table(text, empty="(no registered models)")


def cmd_registry_show(api: Any, args: argparse.Namespace) -> Result:
    m = api.registered_model(args.name)
    data = dict(_model_row(m), model_card=m.model_card, versions=m.versions())
    head = _kv([(k, v if k != "aliases" else [f"{a}={_version(n)}" for a, n in sorted(v.items())])
                for k, v in data.items() if k not in ("versions", "model_card")])
    versions = _table([dict(v, digest=str(v.get("digest"))[:12]) for v in data["versions"]], empty="(no versions)")
    return data, f"{head}\n\n{versions}" + (f"\n\n{m.model_card}" if m.model_card else "")


def cmd_registry_history(api: Any, args: argparse.Namespace) -> Result:
    rows = api.registered_model(args.name).history()
    text = [dict(r, **{"from": _version(r.get("from")), "to": _version(r.get("to"))}) for r in rows]
    return rows, _table(text, ["alias", "from", "to", "by", "at"], empty=f"(no alias moves of {args.name!r})")


def cmd_promote(api: Any, args: argparse.Namespace) -> Result:
    name, colon, from_alias = args.source.rpartition(":")
    if not colon or not name or not from_alias:
        raise InvalidSpecError(f"expected REGISTERED:FROM_ALIAS, got {args.source!r}")
    rm = api.registered_model(name)
    if from_alias not in rm.aliases:
        raise NotFoundError(f"registered model {name!r} has no alias {from_alias!r}; aliases: {', '.join(sorted(rm.aliases)) or '(none)'}")
    version = rm.aliases[from_alias]
    rm.set_alias(args.to_alias, version)
    data = {"registered_model": name, "alias": args.to_alias, "version": version, "from_alias": from_alias}
    return data, f"{name}: {args.to_alias} -> v{version} (was {from_alias})"


# -- the parser ----------------------------------------------------------------------------------
def _global_options(p: argparse.ArgumentParser, defaults: bool) -> None:
    """The same options before or after the command; the sub-parsers' copies never override."""
    d = (lambda v: v) if defaults else (lambda v: argparse.SUPPRESS)
    p.add_argument("--root", metavar="URL", default=d(None),
                   help="registry root: a folder or fsspec URL (default: $NB_REGISTRY_ROOT or ~/.nb_registry)")
    p.add_argument("--project", metavar="P", default=d(None),
                   help="project (default: $NB_REGISTRY_PROJECT or 'uncategorized'; 'ls' and 'runs': all projects)")
    p.add_argument("--blobs", metavar="URL", default=d(None),
                   help="where blobs are kept, for a PostgreSQL root (default: $NB_REGISTRY_BLOBS; else <root>/blobs)")
    p.add_argument("--json", action="store_true", default=d(False), help="print one JSON document on stdout")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _JsonAwareParser(prog="nb-registry", description="A model and artifact registry on your own disk or bucket.",
                              epilog=EXAMPLES + EXIT_CODES, formatter_class=fmt)
    _global_options(parser, True)
    common = _JsonAwareParser(add_help=False)
    _global_options(common, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def cmd(name: str, fn: Callable[..., Result], help: str, where: Any = sub) -> argparse.ArgumentParser:
        p = where.add_parser(name, help=help, description=help, parents=[common], epilog=EXIT_CODES, formatter_class=fmt)
        p.set_defaults(func=fn)
        return p

    p = cmd("log", cmd_log, "log files and folders as a new version of artifact NAME (in a short run, job_type 'cli')")
    p.add_argument("name", metavar="NAME", help="[project/]name of the collection")
    p.add_argument("paths", metavar="PATHS", nargs="+", help="files or folders (a folder given alone is the artifact's top)")
    p.add_argument("--type", default="model", help="artifact type (default: model)")
    p.add_argument("--alias", action="append", default=[], help="alias to set (repeatable)")
    p.add_argument("--metadata", action="append", default=[], type=_key_value, metavar="KEY=VALUE",
                   help="metadata (repeatable); VALUE is parsed as JSON if it parses, else kept as a string")
    p.add_argument("--ref", action="append", default=[], metavar="SPEC", help="depend on a whole artifact (repeatable)")
    p.add_argument("--description", help="description of this version")
    p = cmd("download", cmd_download, "download the files of SPEC (verified) and print the folder")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--refs", action="store_true", help="also fetch references and dependencies, recursively")
    p.add_argument("-o", "--output", metavar="DIR", help="target folder (default: the registry cache)")
    p = cmd("alias", cmd_alias, "point ALIAS at SPEC (moving it), or --remove it")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("alias", metavar="ALIAS")
    p.add_argument("--remove", action="store_true", help="remove ALIAS from the collection of SPEC")
    p = cmd("ls", cmd_ls, "list artifact collections, or the versions of NAME with their aliases")
    p.add_argument("name", metavar="NAME", nargs="?", help="[project/]name of a collection")
    cmd("show", cmd_show, "show every recorded field and the files of SPEC").add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p = cmd("diff", cmd_diff, "files added (+), removed (-), changed (~) and metadata changed from A to B")
    p.add_argument("a", metavar="SPEC_A", help="the version to compare from (" + SPEC_HELP + ")")
    p.add_argument("b", metavar="SPEC_B", help="the version to compare to")
    p = cmd("find", cmd_find, "every artifact version holding this content, whatever the file is named")
    p.add_argument("path_or_digest", metavar="PATH_OR_DIGEST")
    p = cmd("verify", cmd_verify, "re-hash the stored files of SPEC and re-check its references (exit 5 on failure)")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--dir", metavar="DIR", help="verify a downloaded folder instead of the store")
    p = cmd("gc", cmd_gc, "remove blobs no version needs (a dry run unless --yes)")
    p.add_argument("--yes", action="store_true", help="really remove them")

    p = cmd("retention", cmd_retention, "set how many versions of NAME gc keeps (none of the keep options: keep all)")
    p.add_argument("name", metavar="NAME", help="[project/]name of the collection")
    p.add_argument("--keep-best", type=_count(1), default=None, metavar="K", help="keep the K best versions by --metric (K >= 1)")
    p.add_argument("--metric", default=None, help="a metadata path, e.g. metadata.val_acc")
    p.add_argument("--mode", choices=["max", "min"], default="max", help="whether higher (max) or lower is better")
    p.add_argument("--keep-last", type=_count(0), default=None, metavar="N",
                   help="keep the N newest versions (0: only the latest)")

    p = cmd("runs", cmd_runs, "list runs, filtered and sorted")
    p.add_argument("--filter", action="append", default=[], type=_filter_expr, metavar="EXPR",
                   help="e.g. 'config.lr<0.01', 'summary.acc>=0.9', state=finished, tags~baseline (repeatable, ANDed)")
    p.add_argument("--sort", action="append", default=[], metavar="KEY",
                   help="sort column; descending: --sort=-summary.acc (repeatable)")
    p = cmd("lineage", cmd_lineage, "the runs and artifacts upstream (default) or downstream of SPEC")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--up", dest="direction", action="store_const", const="up", help="what made SPEC (default)")
    g.add_argument("--down", dest="direction", action="store_const", const="down", help="what SPEC was used for")
    g.add_argument("--both", dest="direction", action="store_const", const="both", help="both directions")
    p.set_defaults(direction="up")
    p.add_argument("--depth", type=int, metavar="N", help="levels to follow (default: all)")
    p = cmd("link", cmd_link, "link artifact version SPEC into registered model REGISTERED (no bytes copied)")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("registered", metavar="REGISTERED")
    p.add_argument("--alias", action="append", default=[], help="stage alias to set, e.g. staging (repeatable)")
    reg = cmd("registry", lambda api, args: reg.error("choose ls, show or history"), "registered models: ls, show, history")
    rsub = reg.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    p = cmd("ls", cmd_registry_ls, "list registered models", rsub)
    p.add_argument("--tag", help="only models with this tag")
    p.add_argument("--search", metavar="TEXT", help="only models with TEXT in name or description")
    cmd("show", cmd_registry_show, "a registered model: versions, aliases, tags, model card", rsub).add_argument("name", metavar="NAME",
                                                                                                       help="registered model name")
    cmd("history", cmd_registry_history, "every alias move of a registered model", rsub).add_argument(
        "name", metavar="NAME", help="registered model name")
    p = cmd("promote", cmd_promote, "point TO_ALIAS at the version REGISTERED:FROM_ALIAS holds")
    p.add_argument("source", metavar="REGISTERED:FROM_ALIAS")
    p.add_argument("to_alias", metavar="TO_ALIAS")
    auto = cmd("automations", lambda api, args: auto.error("choose add, ls or serve"),
               "hooks that react to registered-model events, kept in YOUR configuration, run by a worker you start")
    asub = auto.add_subparsers(dest="automations_command", metavar="ACTION", required=True)
    p = cmd("add", cmd_automations_add, "add a hook (a command or a webhook) to your own configuration", asub)
    p.add_argument("model", metavar="REGISTERED", help="registered model, or '*' for every one")
    p.add_argument("alias", metavar="ALIAS", help="the alias whose moves trigger it, or '*'")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--command", help="a shell command to run (NB_REGISTRY_* variables describe the event)")
    g.add_argument("--webhook", metavar="URL", help="an http(s) URL to POST the event to, as JSON")
    p.add_argument("--secret-env", metavar="VAR", help="environment variable holding the webhook's HMAC secret")
    p.add_argument("--name", help="the hook's name (default: MODEL-ALIAS)")
    p.add_argument("--link", action="store_true", help="also fire when a version is linked to the model")
    cmd("ls", cmd_automations_ls, "your hooks, and the latest deliveries of this registry's events", asub)
    p = cmd("migrate", cmd_migrate, "copy the registry at SRC to DST, another backend (a folder, a bucket, PostgreSQL): "
                                     "versions, aliases and their history, runs, registered models; resumable, verified")
    p.add_argument("src", metavar="SRC", help="the registry to copy (a folder, an fsspec URL or postgresql://...)")
    p.add_argument("dst", metavar="DST", help="where to copy it (empty, or a copy this command started)")
    p.add_argument("--src-blobs", metavar="URL", help="where SRC keeps its blobs, if SRC is PostgreSQL")
    p = cmd("serve", cmd_automations_serve, "deliver events to your hooks until Ctrl-C (or once with --once)", asub)
    p.add_argument("--once", action="store_true", help="make the deliveries that are due, then exit")
    p.add_argument("--poll", type=float, default=2.0, metavar="S", help="seconds between looks for new events")
    return parser


# Commands that only read: on a root that does not exist they say so (exit 3) instead of creating it.
# Only 'log' makes a registry where there was none.
_CREATES_ROOT = {"log"}
_NO_ROOT = {"migrate"}  # commands that name their registries themselves

class _JsonAwareParser(argparse.ArgumentParser):
    """Usage errors exit 2 as usual; with ``--json`` they also print the JSON error document."""

    json_mode = False

    def error(self, message: str) -> Any:
        if _JsonAwareParser.json_mode:
            self.print_usage(sys.stderr)
            print(f"{self.prog}: error: {message}", file=sys.stderr)
            print(_error_json("UsageError", message, 2))
            sys.stdout.flush()
            sys.exit(2)
        super().error(message)


def _wants_json(argv: Sequence[str]) -> bool:
    for a in argv:
        if a == "--":
            return False
        if a.startswith("--j") and "--json".startswith(a):
            return True
    return False


def _check_root(root: str | None, must_exist: bool) -> None:
    """A root that cannot be opened is one clear error: exit 2 for a bad URL, 1 for a missing package, 7 for
    unreachable storage (the store says how to fix it), 3 (for commands that only read) when it does not exist."""
    from .store import check_root

    check_root(root, must_exist)


def _remote_root_url(root: str | None) -> str | None:
    """The registry root when it is a URL (what a storage error names), else None."""
    url = str(root or os.environ.get("NB_REGISTRY_ROOT") or "")
    return url if "://" in url else None


def _remote_root(args: argparse.Namespace) -> str | None:
    return _remote_root_url(getattr(args, "root", None))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (see ``EXIT_CODES``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:  # `nb-registry` alone: what it does, with examples, rather than "arguments are required"
        build_parser().print_help()
        return 2
    _JsonAwareParser.json_mode = _wants_json(argv)
    try:
        args = build_parser().parse_args(argv)  # usage errors exit 2 here
    finally:
        _JsonAwareParser.json_mode = False
    with warnings.catch_warnings():  # warnings as one line, like errors, not Python's "file:line: UserWarning"
        warnings.showwarning = _show_warning
        return _run(args)


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    print(f"nb-registry: warning: {message}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    try:
        from .api import Api

        if args.command in _NO_ROOT:
            data, text = args.func(None, args)
        else:
            _check_root(args.root, must_exist=args.command not in _CREATES_ROOT)
            try:
                api = Api(root=args.root, project=args.project, blobs=args.blobs)
            except ValueError as e:  # fsspec: a URL it cannot read
                raise InvalidSpecError(f"bad registry root {args.root!r}: {e}") from None
            data, text = args.func(api, args)
    except RegistryError as e:
        return _fail(args, type(e).__name__, str(e), e.exit_code)
    except KeyboardInterrupt:
        return _fail(args, "KeyboardInterrupt", "interrupted", 130)
    except Exception as e:  # a storage back end's failure is one line (exit 7); any other non-OS error is a bug
        storage = translate(e, _remote_root(args))
        if storage is not None:
            return _fail(args, "StorageError", str(storage), storage.exit_code)
        if not isinstance(e, OSError):
            raise
        return _fail(args, type(e).__name__, str(e), 1)
    try:
        print(to_json(data, indent=2) if args.json else text)
        sys.stdout.flush()
    except BrokenPipeError:  # `nb-registry ls | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _error_json(kind: str, message: str, code: int) -> str:
    return to_json({"error": {"type": kind, "message": message, "exit_code": code}}, indent=2)


def _fail(args: argparse.Namespace, kind: str, message: str, code: int) -> int:
    print(f"nb-registry: error: {message}", file=sys.stderr)
    if args.json:
        print(_error_json(kind, message, code))
    return code
