#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on 127.0.0.1.
#   scripts/pg-test-server.sh start   installs PostgreSQL if missing (Debian, as root), starts a
#                                     server with a fresh data directory, creates the test
#                                     database and prints: export DUROXIDE_TEST_PG_URL=...
#   scripts/pg-test-server.sh stop    stops it and removes the data directory
#   scripts/pg-test-server.sh pause   stops it abruptly, keeping the data (for restart tests)
#   scripts/pg-test-server.sh resume  starts a paused server again
#   scripts/pg-test-server.sh restart restarts it as an operator would (pg_ctl restart -m fast):
#                                     every connection is terminated with SQLSTATE 57P01
# Port and directory: DUROXIDE_PG_PORT (55432), DUROXIDE_PG_DIR (/tmp/duroxide-pg-test).
# DUROXIDE_PG_TLS=1 at start: TLS on, with a self-signed certificate for localhost at $dir/data/server.crt.
set -euo pipefail

port="${DUROXIDE_PG_PORT:-55432}"
dir="${DUROXIDE_PG_DIR:-/tmp/duroxide-pg-test}"
user=duroxide
password=duroxide
database=duroxide_test

bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if [ -z "$(bin_dir)" ]; then
    echo "installing PostgreSQL from Debian's packages..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  local bin
  bin="$(bin_dir)"
  stop_server quietly
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  local pwfile="$dir.pw"
  echo "$password" > "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_postgres "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  [ "${DUROXIDE_PG_TLS:-}" = 1 ] && enable_tls
  run_server

  as_postgres env PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" "$database"
  echo "export DUROXIDE_TEST_PG_URL=postgres://$user:$password@127.0.0.1:$port/$database"
}

enable_tls() {
  if ! command -v openssl >/dev/null; then
    echo "installing openssl (for a test certificate)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >&2
  fi
  openssl req -new -x509 -days 2 -nodes -subj "/CN=localhost" \
    -keyout "$dir/data/server.key" -out "$dir/data/server.crt" 2>/dev/null
  chmod 600 "$dir/data/server.key"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/data/server.key" "$dir/data/server.crt"
  printf "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n" >> "$dir/data/postgresql.conf"
}

run_server() {
  as_postgres "$(bin_dir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off" start >/dev/null
}

stop_server() {
  local bin
  bin="$(bin_dir)"
  if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ "${1:-}" = quietly ] || echo "stopped PostgreSQL on port $port" >&2
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop_server ;;
  pause) as_postgres "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null ;;
  resume) run_server ;;
  restart) as_postgres "$(bin_dir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w restart >/dev/null ;;
  *) echo "usage: $0 start|stop|pause|resume|restart" >&2; exit 2 ;;
esac
