#!/usr/bin/env bash
# Sets up the package in a venv and runs the demo on the embedded default store.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
exec .venv/bin/python -m nb_registry.demo "$@"
