#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine, then runs the whole suite.
# CI calls exactly this. It installs: Debian's chromium (the browser tests drive it; test tools
# cannot download a browser here), a venv with the package, its test extras and the training
# frameworks the integration tests train with (on torch's CPU build). Node is not
# needed: the lab extension's production build is committed in nb_registry/labextension.
# The tests run inside scripts/with_postgres.sh: a throwaway PostgreSQL cluster (Debian's package,
# installed when missing) on 127.0.0.1, its URL in NB_REGISTRY_TEST_PG, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
# torch first, the CPU build that lies on these machines' disk: the training integrations' extras need torch,
# and with none installed pip would resolve their unpinned torch to a CUDA build of several GB. The extras
# never pin torch themselves (users elsewhere keep the torch they chose), so this one is kept.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e '.[test,integrations]'
exec bash scripts/with_postgres.sh .venv/bin/python -m pytest "$@"
