"""The layering rule, checked: a lower layer never imports a higher one; nothing above the store reaches
into a backend (no shard paths, no doc ids: only the store's interface, records, blobs and hashing); no
module touches another module's private names; ``import nb_registry`` (and ``import nb_registry.integrations``)
loads no Jupyter, widget, server or training library; and the training integrations, a face, use nothing but
the public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "nb_registry"

# lowest first, as the brief lays them out; a module may import its own layer and those below it
LAYERS = [
    {"errors", "names", "envinfo", "query", "table", "progress", "display", "views", "graph_layout", "lineage_html",
     "htmlsafe", "runstate", "run_config"},
    {"store"},  # the metadata interface and its backends, blobs, hashing
    {"artifact", "manifest", "references", "artifacts", "registry", "transfer", "serialize", "runs", "models", "lineage",
     "tracking", "retention", "predictions", "automations", "migrate", "api", "current"},  # the domain API
    {"cli", "cli_text", "__main__", "magics", "widgets", "server", "demo", "integrations", "__init__"},  # the faces: they only call the API
]
FACE_LIBRARIES = {"IPython", "ipywidgets", "ipycytoscape", "jupyter_server", "tornado", "plotly", "nbclient"}
# imported only by nb_registry/integrations/ (torch also by serialize.py, lazily, to load a state dict)
TRAINING_LIBRARIES = {"lightning", "pytorch_lightning", "lightning_utilities", "lightning_fabric", "transformers",
                      "accelerate", "safetensors", "keras", "keras_tuner", "optuna", "tensorflow", "jax"}
# what an integration may import from nb_registry: the package's public names, its errors, and its siblings
INTEGRATION_MAY_IMPORT = {"nb_registry", "nb_registry.errors"}
# attributes that reach under the public API (see ARCHITECTURE.md, "private fields crossed")
PRIVATE_REACH = {"registry", "meta", "blobs", "store", "_doc", "_reg", "_save", "_data", "_registry", "_pending"}


def _layer(module: str) -> int:
    top = module.split(".")[0]
    if not (PKG / top).exists() and not (PKG / f"{top}.py").exists():
        top = "__init__"  # a name defined in the package's __init__ (e.g. __version__)
    return next(i for i, names in enumerate(LAYERS) if top in names)


def _imports(path: Path) -> set[str]:
    """nb_registry modules and third-party tops imported by a file (including lazy imports in functions)."""
    rel = path.relative_to(PKG).with_suffix("")
    package = list(rel.parts[:-1])
    out: set[str] = set()
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue  # annotations only: not an import at run time
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            names = [target] if node.module else [f"{target}.{a.name}".strip(".") for a in node.names]
            out.update(f"nb_registry:{n}" for n in names if n)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
    return out


def test_lower_layers_never_import_higher_ones() -> None:
    problems = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        me = _layer(".".join(rel.parts))
        for imp in _imports(path):
            if imp.startswith("nb_registry:"):
                target = imp.split(":", 1)[1]
                if target and _layer(target) > me:
                    problems.append(f"{rel} (layer {me}) imports {target} (layer {_layer(target)})")
            elif imp in FACE_LIBRARIES and me < len(LAYERS) - 1:
                problems.append(f"{rel} imports the face library {imp}")
            elif imp in TRAINING_LIBRARIES and rel.parts[0] != "integrations":
                problems.append(f"{rel} imports the training library {imp} (only integrations/ may)")
    assert not problems, "\n".join(sorted(problems))


# What the layers above the store may import from it: the interface, its records, the blob store, hashing and
# writing files without following links (nofollow),
# and the package itself (open_store). Backends and their files (shards, TinyDB tables, SQL) stay inside.
STORE_PUBLIC = {"store", "store.interface", "store.records", "store.blobs", "store.hashing", "store.nofollow",
                "store.storage_errors"}
# Private names of the standard library that are its public API in all but name, and IPython's display protocol.
STDLIB_PRIVATE = {"_exit", "_getframe", "_asdict", "_replace", "_fields", "_make", "_current_frames",
                  "_repr_mimebundle_", "_repr_html_", "_repr_png_", "_repr_svg_", "_ipython_display_"}


def test_nothing_above_the_store_reaches_into_a_backend() -> None:
    problems = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        if rel.parts[0] == "store":
            continue
        for imp in _imports(path):
            target = imp.split(":", 1)[1] if imp.startswith("nb_registry:") else ""
            if target.startswith("store") and target not in STORE_PUBLIC:
                problems.append(f"{rel} imports {target}: use the store's interface (store.interface, store.records)")
            elif imp.split(".")[0] in ("tinydb", "sqlalchemy", "psycopg", "filelock"):
                problems.append(f"{rel} imports {imp}: only the store talks to a backend")
    assert not problems, "\n".join(sorted(problems))


def _private_uses(path: Path) -> list[str]:
    """``obj._name`` where ``obj`` is not ``self``/``cls`` and ``_name`` is not defined in this module."""
    tree = ast.parse(path.read_text())
    own = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    own |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
    own |= {t.id for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    own |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args + n.kwonlyargs}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if node.attr in own or node.attr in STDLIB_PRIVATE:
                continue
            out.append(f"{node.attr} (line {node.lineno})")
    return out


def test_no_module_touches_another_modules_private_names() -> None:
    problems = []
    for path in PKG.rglob("*.py"):
        for use in _private_uses(path):
            problems.append(f"{path.relative_to(PKG)}: {use}")
    assert not problems, "\n".join(sorted(problems))


def _nb_registry_imports(path: Path) -> set[str]:
    """Every nb_registry module a file imports, relative or absolute, as a dotted name."""
    package = ["nb_registry", *path.relative_to(PKG).with_suffix("").parts[:-1]]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            out.add(target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.split(".")[0] == "nb_registry"}


def test_integrations_use_only_the_public_api() -> None:
    """An integration imports ``nb_registry`` (``init``, ``Api``, ``Artifact``, ``Run``), its errors and its sibling
    modules, and never reaches under them (``run._doc``, ``api.registry``, ``reg.meta`` ...)."""
    problems = []
    for path in sorted((PKG / "integrations").glob("*.py")):
        for mod in _nb_registry_imports(path):
            if mod not in INTEGRATION_MAY_IMPORT and not mod.startswith("nb_registry.integrations"):
                problems.append(f"integrations/{path.name} imports {mod}")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE_REACH and not (
                    isinstance(node.value, ast.Name) and node.value.id == "self"):
                problems.append(f"integrations/{path.name}:{node.lineno} reaches .{node.attr}")
    assert not problems, "\n".join(problems)


def test_import_is_light() -> None:
    heavy = sorted(FACE_LIBRARIES | TRAINING_LIBRARIES | {"torch", "numpy", "fsspec", "tinydb", "blake3"})
    for stmt in ("import nb_registry", "import nb_registry.integrations"):
        code = f"import sys; {stmt}; print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        assert out == "[]", f"{stmt} loads {out}"
