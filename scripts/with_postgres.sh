#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster of its own, and removes the cluster afterwards.
#
#   bash scripts/with_postgres.sh [--durable] COMMAND [ARGS...]
#
# Installs Debian's PostgreSQL when it is missing, makes a fresh cluster in a temporary folder
# (owned by and run as the `postgres` user: the server refuses to run as root), listening on
# 127.0.0.1 on a free port only (no Unix socket outside that folder), with a random password, and
# exports its URL as NB_REGISTRY_TEST_PG for the command. The cluster is stopped and its folder
# removed when the command ends, however it ends (trap). If NB_REGISTRY_TEST_PG is already set,
# the command runs against that server instead and nothing is started.
#
# By default the cluster trades durability for speed (fsync and synchronous_commit off: it is
# thrown away at the end anyway). --durable keeps PostgreSQL's defaults, for benchmarks.
set -euo pipefail

DURABLE=0
if [ "${1:-}" = "--durable" ]; then DURABLE=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--durable] COMMAND [ARGS...]" >&2; exit 2; }

if [ -n "${NB_REGISTRY_TEST_PG:-}" ]; then
  exec "$@"
fi

T0=$(date +%s.%N)
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
PGBIN=$(find_bin)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "with_postgres: installing PostgreSQL from Debian's packages" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  PGBIN=$(find_bin)
fi

# The server must not run as root; as root we run it as `postgres`, otherwise as ourselves.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  AS_PG=(runuser -u postgres --)
else
  AS_PG=()
fi

DIR=$(mktemp -d /tmp/nbr-pg.XXXXXX)
chmod 755 "$DIR"
[ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')

cleanup() {
  "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%s\n' "$PASSWORD" > "$DIR/pwfile"
[ "$(id -u)" -eq 0 ] && chown postgres "$DIR/pwfile"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$DIR/data" -U postgres --pwfile="$DIR/pwfile" -A scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
rm -f "$DIR/pwfile"
OPTS="-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR -c max_connections=200"
OPTS="$OPTS -c shared_buffers=64MB -c max_locks_per_transaction=128"
if [ "$DURABLE" -eq 0 ]; then
  OPTS="$OPTS -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -o "$OPTS" -w -t 60 start >/dev/null \
  || { cat "$DIR/server.log" >&2; exit 1; }

export NB_REGISTRY_TEST_PG="postgresql://postgres:$PASSWORD@127.0.0.1:$PORT/postgres"
T1=$(date +%s.%N)
echo "with_postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" \
  "($([ "$DURABLE" -eq 1 ] && echo durable || echo 'fsync off'), ready in $(python3 -c "print(f'{$T1 - $T0:.1f}')") s)" >&2
set +e
"$@"
STATUS=$?
exit $STATUS
