#!/usr/bin/env bash
# Local Postgres and Redis for development, tests and the demo.
#
# Installs the Debian packages when they are missing (and Chromium with chromedriver for the browser test), keeps
# every file under ./.local, listens on loopback only, and is idempotent: `start` on running services is a no-op.
# Postgres refuses to run as root, so as root it runs as the `postgres` system user that the Debian package creates.
#
#   scripts/services.sh start | stop | status | env
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.local"
pg_port="${LOYALTY_PG_PORT:-55432}"
redis_port="${LOYALTY_REDIS_PORT:-56379}"
redis_dir="$state/redis"
# Postgres runs as the `postgres` user when we are root; that user cannot enter a checkout under a private directory
# (mktemp -d makes 0700 ones), so its files then live under /var/tmp, named after this checkout. Called after the
# install step, which creates that user on a fresh machine.
resolve_pg_paths() {
  pg_root="$state/pg"
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
    mkdir -p "$state"
    if ! runuser -u postgres -- test -x "$state" 2>/dev/null; then
      pg_root="/var/tmp/loyalty-pg-$(printf '%s' "$root" | md5sum | cut -c1-12)"
    fi
  fi
  pg_data="$pg_root/data"
  pg_sock="$pg_root/sock"
}

say() { printf 'services: %s\n' "$*" >&2; }

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

install_missing() {
  local want=()
  [ -n "$(pg_bin)" ] || want+=(postgresql postgresql-contrib)
  command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
  command -v pgbench >/dev/null 2>&1 || want+=(postgresql-contrib)
  # The browser test (tests/it/browser.rs) drives Debian's headless Chromium through its chromedriver.
  [ -x /usr/bin/chromium ] || want+=(chromium)
  [ -x /usr/bin/chromedriver ] || want+=(chromium-driver)
  # The Mini App tests sign initData with an independent implementation run by node (tests/node, npm ci).
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
  # scripts/validate-deploy.sh (tests/it/deploy.rs) installs its validators into Python venvs.
  python3 -c 'import ensurepip' >/dev/null 2>&1 || want+=(python3-venv)
  # Emoji in the bots' texts (buttons, notices) render as boxes without a colour emoji font.
  [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || want+=(fonts-noto-color-emoji)
  [ ${#want[@]} -eq 0 ] && return 0
  say "installing ${want[*]} from Debian packages"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${want[@]}" >/dev/null
  # The Debian package starts a system-wide cluster and Redis on the default ports; ours are separate, leave theirs.
}

# Runs a Postgres tool as the user that owns the data directory.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_running() { [ -f "$pg_data/postmaster.pid" ] && as_pg "$(pg_bin)/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; }
redis_running() { redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; }

start_pg() {
  local bin
  bin=$(pg_bin)
  if pg_running; then say "postgres already running on 127.0.0.1:$pg_port"; return 0; fi
  mkdir -p "$pg_root" "$pg_sock"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$pg_root"; fi
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    say "initdb in $pg_data"
    as_pg "$bin/initdb" -D "$pg_data" -U loyalty --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_pg "$bin/pg_ctl" -D "$pg_data" -l "$pg_root/server.log" -w -t 60 start \
    -o "-p $pg_port -k $pg_sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" >/dev/null
  say "postgres on 127.0.0.1:$pg_port (data $pg_data)"
}

start_redis() {
  if redis_running; then say "redis already running on 127.0.0.1:$redis_port"; return 0; fi
  mkdir -p "$redis_dir"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --appendonly yes --appendfsync everysec \
    --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --save ""
  for _ in $(seq 1 50); do redis_running && break; sleep 0.1; done
  redis_running || { say "redis did not start, see $redis_dir/redis.log"; exit 1; }
  say "redis on 127.0.0.1:$redis_port with AOF (dir $redis_dir)"
}

stop_all() {
  if pg_running; then as_pg "$(pg_bin)/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null; say "postgres stopped"; fi
  if redis_running; then redis-cli -h 127.0.0.1 -p "$redis_port" shutdown >/dev/null 2>&1 || true; say "redis stopped"; fi
}

print_env() {
  echo "export LOYALTY__DATABASE__URL=postgres://loyalty@127.0.0.1:$pg_port/loyalty"
  echo "export LOYALTY__REDIS__URL=redis://127.0.0.1:$redis_port"
  echo "export LOYALTY_TEST_PG_URL=postgres://loyalty@127.0.0.1:$pg_port/postgres"
  echo "export LOYALTY_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
}

case "${1:-}" in
  start)
    install_missing
    resolve_pg_paths
    start_pg
    start_redis
    # The database the product itself uses (tests make their own).
    psql -h 127.0.0.1 -p "$pg_port" -U loyalty -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='loyalty'" \
      | grep -q 1 || psql -h 127.0.0.1 -p "$pg_port" -U loyalty -d postgres -qc "CREATE DATABASE loyalty" ;;
  stop) resolve_pg_paths; stop_all ;;
  status)
    resolve_pg_paths
    pg_running && echo "postgres: running on $pg_port" || echo "postgres: stopped"
    redis_running && echo "redis: running on $redis_port" || echo "redis: stopped" ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
