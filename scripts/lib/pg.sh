# shellcheck shell=bash
# A throwaway PostgreSQL cluster: temp dir, free TCP port on 127.0.0.1, trust auth, torn down by pg_stop.
# Works as a normal user and as root (the server then runs as the `postgres` system user).
# Sourced by scripts/test and scripts/dev; sets PG_BINDIR, PG_DIR, PG_PORT and exports DATABASE_URL.

pg_find_bindir() {
  if [[ -n ${PG_BINDIR:-} && -x ${PG_BINDIR}/initdb ]]; then
    printf '%s\n' "$PG_BINDIR"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  elif command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_config --bindir
  else
    # Debian/Ubuntu keep the server binaries off PATH; take the newest installed major version.
    local dir
    dir=$(find /usr/lib/postgresql -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $dir && -x $dir/initdb ]] || return 1
    printf '%s\n' "$dir"
  fi
}

# Runs a command as the cluster owner: ourselves, or `postgres` when we are root (initdb refuses root).
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

pg_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  return 1
}

pg_start() {
  PG_BINDIR=$(pg_find_bindir) || {
    echo "error: PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql (Debian: apt-get install postgresql)" >&2
    return 1
  }
  export PG_BINDIR
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/todo-pg.XXXXXX")
  chmod 755 "$PG_DIR"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres "$PG_DIR"
  fi
  PG_PORT=$(pg_free_port) || { echo "error: no free TCP port found for PostgreSQL" >&2; return 1; }
  pg_as_owner "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-locale -E UTF8 >"$PG_DIR/initdb.log" 2>&1 || {
    cat "$PG_DIR/initdb.log" >&2
    return 1
  }
  # Durability is pointless for a throwaway cluster; turning it off makes tests much faster.
  pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || {
    cat "$PG_DIR/server.log" >&2
    return 1
  }
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "PostgreSQL running on 127.0.0.1:$PG_PORT (data in $PG_DIR)"
}

pg_stop() {
  [[ -n ${PG_DIR:-} && -d $PG_DIR ]] || return 0
  pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}

# URL of a scratch database NAME on the server of $DATABASE_URL (same role, host and options).
pg_scratch_url() {
  local base=${DATABASE_URL%%\?*}
  printf '%s/%s%s\n' "${base%/*}" "$1" "${DATABASE_URL#"$base"}"
}
