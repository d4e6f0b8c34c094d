#!/usr/bin/env bash
# Re-executes the walkthrough notebooks in fresh kernels on a throwaway registry and saves them with their
# outputs and widget state (see scripts/regen_notebooks.py). Needs the venv of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "no .venv: run bash scripts/test.sh once first" >&2; exit 2; }
exec .venv/bin/python scripts/regen_notebooks.py "$@"
