#!/usr/bin/env bash
# Sets up the package with its notebook extras in a venv, runs the ensemble walkthrough on the default
# store and prints what it did, then opens JupyterLab on it (127.0.0.1, URL printed; Ctrl-C stops it).
# `--headless` only runs the walkthrough, `--lab` only opens JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[notebook]' nbclient ipykernel
exec .venv/bin/python -m nb_registry.demo "$@"
