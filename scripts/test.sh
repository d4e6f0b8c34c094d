#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine (a venv with the package and its
# test extras), then runs the whole suite. CI calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
