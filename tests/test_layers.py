"""The layering rule, checked: a lower layer never imports a higher one, and ``import nb_registry``
loads no Jupyter, widget or server library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "nb_registry"

# lowest first, as the brief lays them out; a module may import its own layer and those below it
LAYERS = [
    {"errors", "names", "envinfo", "query", "table", "progress", "display", "views", "graph_layout", "lineage_html"},
    {"store"},  # TinyDB shards, blobs, hashing, locks
    {"artifact", "references", "registry", "transfer", "serialize", "runs", "models", "lineage", "tracking",
     "retention", "predictions", "api"},  # the domain API
    {"cli", "cli_text", "__main__", "magics", "widgets", "server", "demo", "__init__"},  # the faces: they only call the API
]
FACE_LIBRARIES = {"IPython", "ipywidgets", "ipycytoscape", "jupyter_server", "tornado", "plotly", "nbclient"}


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
    assert not problems, "\n".join(sorted(problems))


def test_import_is_light() -> None:
    code = ("import sys, nb_registry; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{sorted(FACE_LIBRARIES | {'fsspec', 'tinydb', 'blake3'})!r}); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
