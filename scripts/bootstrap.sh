#!/usr/bin/env bash
# Sets up everything LightSpeedPay needs on a fresh clone: Python venv and packages, PostgreSQL and
# Redis running, the role and databases. Safe to run again. Usage: scripts/bootstrap.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$cand; break
    fi
  done
fi
[ -n "$PY" ] || die "Python 3.11 or newer is needed (apt-get install python3 python3-venv)."

if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PY"
  "$PY" -m venv .venv
fi
stamp=.venv/.lsp-installed
want="$(cat requirements.lock pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)${1:-}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing Python packages"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.lock
  if [ "${1:-}" = "--dev" ]; then
    .venv/bin/python -m pip install -q -r requirements-dev.lock
  fi
  .venv/bin/python -m pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi

# --- PostgreSQL ---------------------------------------------------------------
PGHOST=${LSP_PGHOST:-127.0.0.1}
pg_up() { pg_isready -h "$PGHOST" -p 5432 -q 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1; then
  die "PostgreSQL is not installed. Install it with: apt-get install postgresql (then run this again)."
fi
if ! pg_up; then
  say "starting PostgreSQL"
  if ls /etc/postgresql >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || die "PostgreSQL is installed but not running on $PGHOST:5432; start it (pg_ctlcluster <ver> main start)."
fi
psql_admin() { psql -h "$PGHOST" -U "${LSP_PGADMIN:-postgres}" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if ! psql_admin -c "SELECT 1" >/dev/null 2>&1; then
  psql_admin() { psql -h "$PGHOST" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='lightspeedpay'")" != "1" ]; then
  say "creating role lightspeedpay"
  psql_admin -c "CREATE ROLE lightspeedpay LOGIN CREATEDB"
fi
for db in lightspeedpay lightspeedpay_test; do
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != "1" ]; then
    say "creating database $db"
    psql_admin -c "CREATE DATABASE $db OWNER lightspeedpay"
  fi
done

# --- Redis --------------------------------------------------------------------
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
if ! command -v redis-cli >/dev/null 2>&1; then
  die "Redis is not installed. Install it with: apt-get install redis-server (then run this again)."
fi
if ! redis_up; then
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/lsp.log || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || die "Redis is installed but not running on 127.0.0.1:6379; start it with redis-server."
fi
# --- a real browser for the UI tests (Debian's chromium, driven by Playwright; never a downloaded one) ----
if [ "${1:-}" = "--dev" ] && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    say "installing chromium (apt) for the browser tests"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
      || die "could not install chromium; install it with: apt-get install chromium"
  else
    die "the browser tests need Debian's chromium: apt-get install chromium"
  fi
fi
# --- what the developer documentation's samples run with (tests/devdocs): jq for the shell samples, Mono to build
# and run the C# ones (mcs; the runtime; the HttpClient and JSON serializer assemblies) ---------------------------
DOCS_PACKAGES="jq mono-mcs mono-runtime libmono-system-net-http4.0-cil libmono-system-runtime-serialization4.0-cil"
docs_tools_present() {
  command -v jq && command -v mcs && command -v mono \
    && [ -e /usr/lib/mono/4.5/System.Net.Http.dll ] && [ -e /usr/lib/mono/4.5/System.Runtime.Serialization.dll ]
}
if [ "${1:-}" = "--dev" ] && ! docs_tools_present >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    say "installing jq and Mono (apt) for the documentation's samples"
    apt-get update -qq >/dev/null 2>&1 || true
    # shellcheck disable=SC2086 # a list of package names
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $DOCS_PACKAGES >/dev/null 2>&1 \
      || die "could not install them; install them with: apt-get install $DOCS_PACKAGES"
  else
    die "the documentation's samples need jq and Mono: apt-get install $DOCS_PACKAGES"
  fi
fi
# --- the consoles' assets (htmx, uPlot; axe-core for the tests) from npm ----------------------------------
bash scripts/assets.sh
# Hindi pages in the browser tests' screenshots need a Devanagari font
if [ "${1:-}" = "--dev" ] && ! fc-list 2>/dev/null | grep -qi devanagari; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    say "installing fonts-noto-core (apt) for Hindi in the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core >/dev/null 2>&1 \
      || say "could not install fonts-noto-core; Hindi screenshots will show boxes"
  fi
fi
say "ready"
