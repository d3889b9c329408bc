#!/usr/bin/env bash
# `make bench`: install what the benchmark needs, make sure PostgreSQL and Redis answer, then
# run bench/run.py (see docs/performance.md). BENCH_QUICK=1 for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
VENV=bench/.venv

die() { echo "bench: $*" >&2; exit 1; }

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk with apt-get"
  command -v apt-get >/dev/null || die "wrk is missing and apt-get is unavailable"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "bench: PostgreSQL is down; starting it"
  command -v pg_ctlcluster >/dev/null || die "PostgreSQL is not installed"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || die "PostgreSQL does not answer on 127.0.0.1:5432"

if ! redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
  echo "bench: Redis is down; starting it"
  command -v redis-server >/dev/null || die "Redis is not installed"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && break; sleep 1; done
fi

# A venv of its own: the service's pins plus the peers, matplotlib, aiosmtpd and py-spy.
stamp="$VENV/.installed"
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ bench/requirements.txt -nt "$stamp" ]; then
  echo "bench: creating $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r requirements.txt -r bench/requirements.txt
  touch "$stamp"
fi

exec "$VENV/bin/python" -m bench.run
