#!/usr/bin/env bash
# `make scaleout` (docs/scaling.md): make sure HAProxy (Debian's package), redis-server and
# PostgreSQL are there, then run bench/scaleout.py with the project's venv (.venv, `make
# install`): 4 gunicorn replicas, 2 Celery workers and beat behind HAProxy, the contract tests
# over HTTP, the race, the Redis outage and the email count. ~5-8 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

die() { echo "scaleout: $*" >&2; exit 1; }

if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
  echo "scaleout: installing haproxy with apt-get"
  command -v apt-get >/dev/null || die "haproxy is missing and apt-get is unavailable"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq haproxy >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq haproxy; }
fi
export PATH="$PATH:/usr/sbin"
command -v redis-server >/dev/null || die "redis-server is missing (apt-get install redis-server)"

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "scaleout: PostgreSQL is down; starting it"
  command -v pg_ctlcluster >/dev/null || die "PostgreSQL is not installed"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || die "PostgreSQL does not answer on 127.0.0.1:5432"

[ -x "$VENV/bin/python" ] || die "$VENV is missing: run make install first"
exec "$VENV/bin/python" -m bench.scaleout
