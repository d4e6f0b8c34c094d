"""The layering rule, checked: a lower layer never imports a higher one, ``import nb_registry`` (and
``import nb_registry.integrations``) loads no Jupyter, widget, server or training library, and the
training integrations, a face, use nothing but the public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "nb_registry"

# lowest first, as the brief lays them out; a module may import its own layer and those below it
LAYERS = [
    {"errors", "names", "envinfo", "query", "table", "progress", "display", "views", "graph_layout", "lineage_html", "htmlsafe"},
    {"store"},  # TinyDB shards, blobs, hashing, locks
    {"artifact", "references", "registry", "transfer", "serialize", "runs", "models", "lineage", "tracking",
     "retention", "predictions", "api"},  # the domain API
    {"cli", "cli_text", "__main__", "magics", "widgets", "server", "demo", "integrations",
     "__init__"},  # the faces: they only call the API
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
