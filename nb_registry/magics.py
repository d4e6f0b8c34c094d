"""IPython magics: ``%load_ext nb_registry`` then ``%%log_artifact``, ``%use``, ``%lineage``, ``%registry``.

Every magic calls the Python API and attaches to the kernel's current run: the one the user
started with ``nbr.init``, or else an implicit run (job type ``notebook``) started on first use.
Errors a user can act on come out as one short paragraph (IPython's ``UsageError``), never as a
traceback from inside nb_registry.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import json
import os
import shlex
import tempfile
from typing import Any, Callable, Iterator

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from . import envinfo, serialize
from .api import Api, init, open_registry
from .artifact import Artifact
from .errors import AlreadyExistsError, RegistryError
from .names import check_alias, check_name
from .progress import report_to
from .runs import Run, current
from .store.storage_errors import translate


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can act on into a one-paragraph UsageError (no traceback from inside
    nb_registry): the registry's own, files that cannot be read or written, a storage back end's failure,
    a missing optional package, a stored object that does not parse."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RegistryError as e:
            raise UsageError(f"{type(e).__name__}: {e}") from None
        except ImportError as e:
            package = getattr(e, "name", None) or str(e)
            raise UsageError(f"this needs the package {package!r}, which is not installed in this kernel: "
                             f"%pip install {package.split('.')[0]}") from None
        except json.JSONDecodeError as e:
            raise UsageError(f"a stored JSON file does not parse ({e}); run api.artifact(...).verify() "
                             "to check the version's files") from None
        except Exception as e:  # a storage back end's failure (no credentials ...) is one paragraph too
            root = str(getattr(args[0], "root", None) or os.environ.get("NB_REGISTRY_ROOT") or "") if args else ""
            storage = translate(e, root if "://" in root else None)
            if storage is not None:
                raise UsageError(f"StorageError: {storage}") from None
            if isinstance(e, OSError):
                raise UsageError(f"{type(e).__name__}: {e}") from None
            raise

    return wrapper


def _strip_comment(line: str) -> str:
    """Drop a trailing ``# comment``: a ``#`` after whitespace, outside quotes (``url=http://x/#frag`` stays)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _parse(magic: Any, line: str) -> Any:
    """Parse a magic's arguments as a shell would (quotes group words and are removed); a trailing
    ``# comment`` is ignored, and a bad flag lists the good ones."""
    usage = " ".join(w for w in magic.parser.format_usage().split() if w not in ("usage:", "::"))
    try:
        argv = shlex.split(_strip_comment(line))
    except ValueError as e:  # an unclosed quote
        raise UsageError(f"{e} in {line.strip()!r}. Usage: {usage}") from None
    try:
        return magic.parser.parse_args(argv)
    except UsageError as e:
        raise UsageError(f"{e}. Usage: {usage} (see %{magic.__name__}? for help)") from None


def _parse_metadata(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise UsageError(f"--metadata takes key=value, not {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


PROGRESS_MIN_BYTES = 32 << 20  # smaller transfers finish before a bar would be worth drawing


@contextlib.contextmanager
def _progress() -> Iterator[None]:
    """Show a progress bar for large uploads and downloads made inside the block."""
    bar: Any = None

    def listener(done: int, total: int, label: str) -> None:
        nonlocal bar
        if bar is None:
            if total < PROGRESS_MIN_BYTES:
                return
            from IPython.display import display

            from .widgets.progress import ProgressBar

            bar = ProgressBar(label)
            display(bar)
        bar(done, total)

    with report_to(listener):
        yield


@magics_class
class RegistryMagics(Magics):
    """The registry magics. State: the configured root and project, and the kernel's implicit run."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.root: str | None = None
        self.project: str | None = None
        self.kernel_started_at = envinfo.now()

    # -- the current run ----------------------------------------------------------------------
    def run(self) -> Run:
        run = current()
        if run is not None and run.live:
            return run
        notebook = os.environ.get("JPY_SESSION_NAME") or self.shell.user_ns.get("__vsc_ipynb_file__")
        name = os.path.splitext(os.path.basename(notebook))[0] if notebook else None
        run = init(project=self.project, job_type="notebook", name=name, root=self.root, notebook=notebook)
        run.annotate(kernel_started_at=self.kernel_started_at)
        atexit.register(run.finish)
        return run

    def api(self) -> Api:
        run = current()
        if run is not None and run.live:
            return Api(root=run.registry_url, project=run.project)
        return Api(root=self.root, project=self.project)

    # -- %%log_artifact -----------------------------------------------------------------------
    @magic_arguments()
    @argument("name", help="artifact (collection) name")
    @argument("--type", default="model", help="artifact type (default: model)")
    @argument("--alias", action="append", default=[], help="alias to set (repeatable)")
    @argument("--files", action="append", default=[], help="glob of files or folders to add (repeatable)")
    @argument("--var", action="append", default=[], help="notebook variable to store, by type (repeatable)")
    @argument("--ref", action="append", default=[], help="artifact this one depends on, e.g. a sub-model (repeatable)")
    @argument("--metadata", action="append", default=[], help="key=value (value read as JSON when it parses)")
    @argument("--description", default=None, help="a description of this version")
    @argument("--link", default=None, help="REGISTERED[:ALIAS]: link the version to a registered model")
    @argument("--pickle", action="store_true", help="allow pickle for objects with no safe format")
    @cell_magic
    @_friendly
    def log_artifact(self, line: str, cell: str) -> Any:
        """Run the cell; if it succeeds, log files, variables and references as a new artifact version."""
        args = _parse(self.log_artifact, line)
        self._check_log_args(args)  # before the cell runs: a typo in a flag costs no training time
        result = self.shell.run_cell(cell, store_history=False)
        if not result.success:  # the traceback is shown already; fail the cell so "Run All" stops here
            error = result.error_in_exec or result.error_before_exec
            raise UsageError(f"the cell raised {type(error).__name__}: nothing was logged to {args.name!r}")
        with tempfile.TemporaryDirectory(prefix="nb_registry-vars-") as tmp:
            art = self._build(args, tmp)
            run = self.run()
            with _progress():
                logged = run.log_artifact(art, aliases=args.alias, code=cell)
            if args.link:
                target, _, alias = args.link.partition(":")
                try:
                    logged.linked_as = run.link_artifact(logged, target, aliases=[alias] if alias else []).linked_as
                except RegistryError as e:
                    raise UsageError(f"logged {logged.id}, but linking it to {args.link!r} failed: {e}. "
                                     f"Link it again with run.link_artifact(api.artifact({logged.id!r}), ...)") from None
        return logged

    @staticmethod
    def _check_log_args(args: Any) -> None:
        check_name(args.name, "artifact name")
        check_name(args.type, "artifact type")
        for alias in args.alias:
            check_alias(alias)
        if args.link:
            target, _, alias = args.link.partition(":")
            check_name(target, "registered model name")
            if alias:
                check_alias(alias)
        _parse_metadata(args.metadata)
        if not (args.files or args.var or args.ref):
            raise UsageError("%%log_artifact needs something to log: --files GLOB, --var VAR or --ref SPEC")

    def _build(self, args: Any, tmp: str) -> Artifact:
        art = Artifact(args.name, type=args.type, description=args.description, metadata=_parse_metadata(args.metadata))
        for pattern in args.files:
            matches = sorted(glob.glob(os.path.expanduser(pattern), recursive=True))
            if not matches:
                raise UsageError(f"--files {pattern!r} matches nothing in {os.getcwd()}; check the path or the cell that writes it")
            for path in matches:
                art.add_dir(path, name=os.path.basename(path.rstrip("/"))) if os.path.isdir(path) else art.add_file(path, name=path if not os.path.isabs(path) else None)
        objects: dict[str, Any] = {}
        for var in args.var:
            if var not in self.shell.user_ns:
                names = sorted(k for k, v in self.shell.user_ns.items()
                               if not k.startswith("_") and k not in ("In", "Out") and not callable(v) and type(v).__name__ != "module")
                shown = ", ".join(names[:15]) + (" ..." if len(names) > 15 else "")
                raise UsageError(f"--var {var!r}: no such variable in the notebook; variables: {shown or '(none)'}")
            fname, fmt = serialize.dump(self.shell.user_ns[var], tmp, var, allow_pickle=args.pickle)
            try:
                art.add_file(os.path.join(tmp, fname), name=fname)
            except AlreadyExistsError:
                raise UsageError(f"--var {var!r} is stored as {fname!r}, and --files already added a file of that "
                                 "name; rename the file, or the variable") from None
            objects[var] = {"file": fname, "format": fmt}
        if objects:
            with art.new_file(serialize.OBJECTS_ENTRY) as f:
                json.dump(objects, f, sort_keys=True)
        for spec in args.ref:
            art.add_reference(self.run().use_artifact(spec))
        return art

    # -- %use -------------------------------------------------------------------------------
    @magic_arguments()
    @argument("spec", help="name:alias, name:vN, project/name:alias or model-registry/NAME:ALIAS")
    @argument("--as", dest="as_", metavar="VAR", default=None, help="bind the result to this variable")
    @argument("--refs", action="store_true", help="also fetch references and dependencies")
    @argument("--path", action="store_true", help="return the local folder instead of the loaded object")
    @argument("--allow-pickle", action="store_true", help="allow loading pickled objects (runs their code)")
    @line_magic
    @_friendly
    def use(self, line: str) -> Any:
        """Fetch an artifact version (no copy when it is already local) and return its object, path or itself."""
        args = _parse(self.use, line)
        if args.as_ is not None and not args.as_.isidentifier():
            raise UsageError(f"--as takes a Python variable name, not {args.as_!r}")
        art = self.run().use_artifact(args.spec)
        with _progress():
            return self._use(art, args)

    def _use(self, art: Artifact, args: Any) -> Any:
        if args.path:
            value: Any = art.download(refs=args.refs)
        else:
            if args.refs:
                art.download(refs=True)
            objects = serialize.load_objects(art, allow_pickle=args.allow_pickle)
            value = art if objects is None else next(iter(objects.values())) if len(objects) == 1 else objects
        if args.as_:
            self.shell.user_ns[args.as_] = value
            return None
        return value

    # -- %lineage and %registry -------------------------------------------------------------
    @magic_arguments()
    @argument("spec", help="artifact spec, or run:project/id")
    @argument("--up", dest="direction", action="store_const", const="up", help="what made it (default)")
    @argument("--down", dest="direction", action="store_const", const="down", help="what was made from it")
    @argument("--both", dest="direction", action="store_const", const="both", help="both directions")
    @argument("--depth", type=int, default=None, help="how many hops")
    @argument("--html", default=None, help="also save the graph as a standalone HTML file")
    @line_magic
    @_friendly
    def lineage(self, line: str) -> Any:
        """Show the lineage graph of an artifact version (or an ensemble and its sub-models)."""
        args = _parse(self.lineage, line)
        if args.depth is not None and args.depth < 1:
            raise UsageError(f"--depth takes a number of hops (1 or more), not {args.depth}")
        graph = self.api().lineage(args.spec, args.direction or "up", args.depth)
        if args.html:
            from .lineage_html import save_lineage_html

            try:
                save_lineage_html(graph, args.html)
            except OSError as e:
                raise UsageError(f"cannot save the graph to {args.html!r}: {e.strerror or e}") from None
        from .widgets.lineage_view import show_lineage

        return show_lineage(graph)

    @magic_arguments()
    @argument("--root", default=None, help="registry root: a folder or a URL such as s3://bucket/registry")
    @argument("--project", default=None, help="default project for this kernel")
    @line_magic
    @_friendly
    def registry(self, line: str) -> Any:
        """Configure the registry for this kernel, or with no arguments show the registry browser."""
        args = _parse(self.registry, line)
        if args.root is None and args.project is None:
            from .widgets.panels import RegistryBrowser

            return RegistryBrowser(self.api())
        run = current()
        live = run if run is not None and run.live else None
        if live is not None and live.job_type != "notebook":
            raise UsageError(f"run {live.path} (started with nbr.init) is active and logs to {live.registry_url}, "
                             f"project {live.project!r}; finish it first (nbr.finish()), then call %registry")
        if args.project is not None:
            check_name(args.project, "project")
        if args.root is not None:
            try:
                reg = open_registry(args.root)
                reg.collections()  # reach the store now: a bad URL or missing credentials fail here, clearly
            except RegistryError:
                raise
            except Exception as e:  # noqa: BLE001 - whatever the filesystem raises, the old root stays in use
                raise UsageError(f"cannot open the registry at {args.root!r}: {type(e).__name__}: {e}; "
                                 f"still using {open_registry(self.root).url}") from None
            self.root = args.root
        if live is not None and (args.root is not None or args.project not in (None, live.project)):
            live.finish()  # the implicit run belongs to the previous root or project; the next magic starts one
        if args.project is not None:
            self.project = args.project
        print(f"nb_registry: root {envinfo.user_path(open_registry(self.root).url)}, "
              f"project {self.project or self.api().project}")
        return None


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(RegistryMagics(ipython))


def unload_ipython_extension(ipython: Any) -> None:
    run = current()
    if run is not None and run.live and run.job_type == "notebook":
        run.finish()

