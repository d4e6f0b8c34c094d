"""``import nb_registry`` in a fresh process, against a bare interpreter start.

    .venv/bin/python bench/bench_import.py              # 15 processes per figure
    .venv/bin/python bench/bench_import.py --profile    # also -X importtime trees

Figures (medians of --repeat fresh processes, after one untimed warm-up each):
  python -c pass                   the reference: the interpreter's own start.
  import nb_registry               target <= 150 ms (absolute), and as a multiple of the reference.
  import + first use of nbr.Api    what the first real call pays on top (store, TinyDB, fsspec, ...).
  the same without .pyc files      as in an environment with PYTHONDONTWRITEBYTECODE=1 and a
                                   source checkout: every process compiles nb_registry again.
It also checks that ``import nb_registry`` loads no Jupyter/widget module and nothing heavy.
"""

from __future__ import annotations

import json
import subprocess
import sys

from common import CHILD_ENV, Table, child_env, header, importtime, median, parser, run_python, use_child_env

HEAVY = ["IPython", "ipywidgets", "ipycytoscape", "jupyterlab", "jupyter_server", "tinydb", "fsspec", "blake3",
         "filelock", "sqlite3", "asyncio", "ssl", "numpy", "pandas", "s3fs", "concurrent.futures"]


def main() -> None:
    p = parser(__doc__.split("\n\n")[0], repeat=15)
    args = p.parse_args()
    header("bench_import: import time in fresh processes", args)
    use_child_env(args.dir)
    n = args.repeat
    table = Table()
    bare = median(run_python("pass", n))
    imp = median(run_python("import nb_registry", n))
    api = median(run_python("import nb_registry as nbr; nbr.Api", n))
    no_pyc_env = child_env(args.dir, bytecode=False)
    imp_src = median(run_python("import nb_registry", n, env=no_pyc_env))
    api_src = median(run_python("import nb_registry as nbr; nbr.Api", n, env=no_pyc_env))

    table.add("python -c pass (reference)", bare)
    table.add("import nb_registry", imp, "python -c pass", bare, target="<= 150 ms", ok=imp <= 0.150)
    table.note("  = ", f"{(imp - bare) * 1e3:.1f} ms on top of the interpreter's own start")
    table.add("import nb_registry + first use of nbr.Api", api, "python -c pass", bare)
    table.add("import nb_registry, no .pyc (PYTHONDONTWRITEBYTECODE=1)", imp_src, "python -c pass", bare)
    table.add("  + nbr.Api, no .pyc", api_src, "python -c pass", bare)

    code = ("import sys, json; before = set(sys.modules); import nb_registry; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules and m not in before]))")
    out = subprocess.run([sys.executable, "-c", code], env=CHILD_ENV, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    table.add("heavy modules loaded by import nb_registry", ", ".join(loaded) or "none", target="none",
              ok=not loaded)
    table.print()
    if args.profile:
        importtime("import nb_registry")
        importtime("import nb_registry as nbr; nbr.Api")
    sys.exit(0)


if __name__ == "__main__":
    main()
