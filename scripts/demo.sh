#!/usr/bin/env bash
# Sets up the package with its notebook extras in a venv, then opens JupyterLab on the ensemble
# walkthrough with the default store (listening on 127.0.0.1; the URL is printed).
# `bash scripts/demo.sh --headless` runs the same walkthrough from the command line instead.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[notebook]' nbclient ipykernel
exec .venv/bin/python -m nb_registry.demo "$@"
