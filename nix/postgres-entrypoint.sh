# shellcheck shell=bash
# Entrypoint of the todo-postgres image (wrapped by writeShellApplication: bash with errexit, nounset
# and pipefail; initdb, postgres and coreutils on PATH). Honours the official image's variables:
# PGDATA, POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required), POSTGRES_DB (default: the
# user). An empty or missing data directory is initialised once; then the server replaces this shell.

PGDATA=${PGDATA:-/var/lib/postgresql/data/pgdata}
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
export PGDATA

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  if [[ -z ${POSTGRES_PASSWORD:-} ]]; then
    echo "todo-postgres: POSTGRES_PASSWORD must be set to initialise $PGDATA" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --no-locale --encoding=UTF8 >/dev/null
  rm -f "$pwfile"
  trap - EXIT
  # initdb only admits loopback over TCP; the pods reach the database over the pod network.
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [[ $POSTGRES_DB != postgres ]]; then
    # Single-user mode: no listener is opened before the database exists.
    printf 'CREATE DATABASE "%s" OWNER "%s";\n' "${POSTGRES_DB//\"/\"\"}" "${POSTGRES_USER//\"/\"\"}" |
      postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "todo-postgres: initialised $PGDATA (database $POSTGRES_DB, user $POSTGRES_USER)"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
