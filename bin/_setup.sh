# Sourced by bin/run and bin/test: a virtualenv with the pinned packages, and a database.
# When DATABASE_URL is unset, a project-local PostgreSQL runs under .data/ on a Unix socket: the system's
# PostgreSQL binaries when present, otherwise the ones in the pip package pgserver.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
DATA="$ROOT/.data"
PG_STARTED_HERE=""

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "Backorder needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  exit 1
}

ensure_venv() {
  local requirements="$1" stamp
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtualenv in .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  stamp="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)-$requirements"
  if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$stamp" ]; then
    say "Installing pinned packages ($requirements)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$stamp" >"$VENV/.installed"
  fi
  export PATH="$VENV/bin:$PATH"
}

pg_bindir() {
  local dir
  if [ -n "${BACKORDER_EMBEDDED_PG:-}" ]; then  # force the embedded server (to test that path)
    pg_embedded_bindir
    return
  fi
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir)"
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  say "No PostgreSQL on this machine: using the embedded one (pgserver)"
  pg_embedded_bindir
}

pg_embedded_bindir() {
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-pg.txt >&2
  "$VENV/bin/python" -c 'import pathlib, pgserver; print(pathlib.Path(pgserver.__file__).parent / "pginstall" / "bin")'
}

# PostgreSQL refuses to run as root; as root we run it as an unprivileged account.
as_pg_user() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

ensure_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    return
  fi
  local bindir pgdata socket_dir
  bindir="$(pg_bindir)"
  PG_USER="$(id -un)"
  if [ "$(id -u)" = "0" ]; then
    PG_USER="${BACKORDER_PG_USER:-postgres}"
    id "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  fi
  mkdir -p "$DATA"
  socket_dir="$DATA/pg"
  case "$bindir" in *pgserver*) socket_dir="$DATA/pg-embedded" ;; esac  # another major version
  # A Unix socket path must stay under ~100 bytes, and the server's account must reach it.
  if [ "${#socket_dir}" -gt 80 ] || ! as_pg_user test -x "$DATA" 2>/dev/null; then
    socket_dir="/tmp/backorder-pg-$(echo "$ROOT" | sha256sum | cut -c1-12)"
  fi
  pgdata="$socket_dir/data"
  mkdir -p "$socket_dir"
  [ "$(id -u)" = "0" ] && chown "$PG_USER" "$socket_dir"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    say "Creating a project-local PostgreSQL in $pgdata"
    as_pg_user "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_pg_user "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    say "Starting the project-local PostgreSQL (socket in $socket_dir)"
    as_pg_user "$bindir/pg_ctl" -D "$pgdata" -l "$socket_dir/server.log" -w -t 60 \
      -o "-k $socket_dir -c listen_addresses='' -c max_connections=200 ${PG_EXTRA_OPTIONS:-}" start >/dev/null
    PG_STARTED_HERE="$bindir/pg_ctl -D $pgdata"
  fi
  local encoded
  encoded="$("$VENV/bin/python" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$socket_dir")"
  export DATABASE_URL="postgresql://postgres@${encoded}/${BACKORDER_DB_NAME:-backorder}"
  "$VENV/bin/python" - <<PY
import psycopg
with psycopg.connect(host="$socket_dir", user="postgres", dbname="postgres", autocommit=True) as conn:
    if not conn.execute("select 1 from pg_database where datname = %s", ["${BACKORDER_DB_NAME:-backorder}"]).fetchone():
        conn.execute('create database "${BACKORDER_DB_NAME:-backorder}"')
PY
}

# Debian packages a command needs (Chromium for the browser tests, wrk for the benchmarks): installed when
# missing and we may (root, or sudo without a password); otherwise we say how to install it and go on.
ensure_debian_package() {
  local command_path="$1" package="$2" without="$3" sudo=""
  [ -x "$command_path" ] && return
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      say "$package is missing ($command_path); $without. Install it: sudo apt-get install -y --no-install-recommends $package"
      return
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "$package is missing ($command_path) and this is not a Debian-like system; $without"
    return
  fi
  say "Installing $package (apt-get install $package)"
  $sudo apt-get install -y --no-install-recommends "$package" >/dev/null ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "$package" >/dev/null; } ||
    say "Could not install $package; $without"
}

# The browser tests drive Debian's Chromium (tests/browser); without it they are skipped (or fail when CI is set).
ensure_chromium() {
  ensure_debian_package "${CHROMIUM_PATH:-/usr/bin/chromium}" chromium \
    "browser tests will be skipped (or fail when CI is set); or set CHROMIUM_PATH"
}

# The pooled hardening tests and benchmarks put PgBouncer (transaction mode) in front of PostgreSQL; without it
# they are skipped.
ensure_pgbouncer() {
  ensure_debian_package /usr/sbin/pgbouncer pgbouncer "the connection-pooler tests will be skipped"
}

# Tests of what several processes share (warm storefront answers across processes, the several-hosts test) and
# the warm-answer benchmark start a private redis-server; without it they are skipped.
ensure_redis_server() {
  ensure_debian_package /usr/bin/redis-server redis-server "the shared-cache tests will be skipped"
}

# HTTP load in the benchmarks: wrk when present (bench/_load.py falls back to a slower Python client, which
# then caps the requests per second it can measure).
ensure_wrk() {
  ensure_debian_package /usr/bin/wrk wrk "the benchmarks use a Python load client instead"
}

stop_database_if_started_here() {
  if [ -n "$PG_STARTED_HERE" ]; then
    say "Stopping the project-local PostgreSQL"
    as_pg_user $PG_STARTED_HERE -m fast stop >/dev/null 2>&1 || true
  fi
}
