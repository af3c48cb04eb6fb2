# Shared by scripts/serve, scripts/test, scripts/bench and .ci/run: a private PostgreSQL cluster
# under .otc/ when no database is configured. Source it, then call otc_pg_start DIR PORT.
# initdb refuses to run as root, so as root the cluster runs as the `postgres` system user.

OTC_PG_BIN="${OTC_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"

# Installs Debian's PostgreSQL server when its binaries are missing (a fresh machine).
otc_pg_ensure_installed() {
  if [[ -z "$OTC_PG_BIN" || ! -x "$OTC_PG_BIN/initdb" ]]; then
    echo "postgres: server binaries not found; installing Debian's postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    OTC_PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
}

otc_pg_as_owner() {
  if [[ "$(id -u)" == "0" ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# otc_pg_start DIR PORT: initialise (once) and start a cluster listening on 127.0.0.1:PORT,
# with role otc_server (LOGIN NOINHERIT CREATEROLE) owning database otc.
otc_pg_start() {
  local dir="$1" port="$2"
  otc_pg_ensure_installed
  mkdir -p "$(dirname "$dir")"
  if [[ "$(id -u)" == "0" ]]; then
    id postgres >/dev/null 2>&1 || { echo "postgres: no 'postgres' system user; install postgresql" >&2; return 1; }
    mkdir -p "$dir"
    chown postgres "$dir"
    # The postgres user must reach the directory; when a parent (e.g. /root) is closed to it, the
    # cluster lives under /var/tmp and .otc/ keeps a symlink to it.
    if ! runuser -u postgres -- test -w "$dir" 2>/dev/null; then
      local real="/var/tmp/otc-pg-$(echo -n "$PWD/$dir" | sha256sum | cut -c1-12)"
      mkdir -p "$real" && chown postgres "$real"
      rmdir "$dir" 2>/dev/null || true
      [[ -L "$dir" ]] || ln -s "$real" "$dir"
    fi
  else
    mkdir -p "$dir"
  fi
  dir="$(cd "$dir" && pwd -P)"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    echo "postgres: initialising a private cluster in $dir/data"
    otc_pg_as_owner "$OTC_PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
log_min_messages = warning
CONF
  fi
  if ! otc_pg_as_owner "$OTC_PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    otc_pg_as_owner "$OTC_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
      || { tail -20 "$dir/postgres.log" >&2; return 1; }
  fi
  local psql=("$OTC_PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [[ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'otc_server'")" != "1" ]]; then
    "${psql[@]}" -d postgres -c "CREATE ROLE otc_server LOGIN NOINHERIT CREATEROLE"
  fi
  if [[ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'otc'")" != "1" ]]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE otc OWNER otc_server"
  fi
  export OTC_DATABASE_URL="postgres://otc_server@127.0.0.1:$port/otc"
  export OTC_PG_SUPERUSER_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

otc_pg_stop() {
  local dir="$1"
  otc_pg_as_owner "$OTC_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
