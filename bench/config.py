"""What a bench run is: its sizes, durations and rounds, its database and Redis, its ports.

Read from BENCH_* variables (BENCH_QUICK=1 for a short run). Importing this module sets ENV,
the environment every process of the run gets (bench.settings, fresh secrets, the database,
Redis and the SMTP port), in os.environ, as `make bench` always did before anything else.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
VENV_BIN = Path(sys.executable).parent
QUICK = os.environ.get("BENCH_QUICK") == "1"
SMALL = int(os.environ.get("BENCH_SMALL", "10000"))
LARGE = int(os.environ.get("BENCH_LARGE", "100000" if QUICK else "1000000"))
DURATION = int(os.environ.get("BENCH_DURATION", "3" if QUICK else "10"))
WARMUP = 1 if QUICK else 2
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
SAMPLE = 2000  # credentials replayed by wrk per scale (spread over the whole table)
KEY_REQUESTS = int(os.environ.get("BENCH_KEY_REQUESTS", "30" if QUICK else "200"))
EMAILS = int(os.environ.get("BENCH_EMAILS", "5" if QUICK else "20"))
DB = os.environ.get("BENCH_DB", "keyservice_bench")
# KEYSERVICE_LEASED_CACHE (or its old name) of the main keyservice server; a second one always
# runs with "off".
VERIFY_CACHE = os.environ.get(
    "KEYSERVICE_LEASED_CACHE", os.environ.get("KEYSERVICE_VERIFY_CACHE", "on")
)
DB_LARGE = DB + "_large"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "7")
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
# The leases of the replicas of the Request API Key run (bench/request_key.py): their own
# Redis database, so that only their holders count.
LEASES_REDIS_URL = f"redis://127.0.0.1:6379/{int(REDIS_DB) + 1}"
# The servers of the 1,000,000-key database (the 10,000 vs 1,000,000 rounds, the long tail)
# are another deployment: their leases live in a Redis database of their own, so the small
# database's writes (the real uploads) do not wake their holders, as no deployment's writes
# wake another's.
LARGE_LEASES_REDIS_URL = f"redis://127.0.0.1:6379/{int(REDIS_DB) + 2}"
CELERY_QUEUE, BUILDS_QUEUE = "bench-celery", "bench-builds"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


_next_port = [int(os.environ.get("BENCH_PORT_BASE", "0"))]


def free_port() -> int:
    """A free loopback port: the next one from BENCH_PORT_BASE if set (a range of one's
    own on a shared machine), else one the kernel picks."""
    while _next_port[0]:
        port = _next_port[0]
        _next_port[0] += 1
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SMTP_PORT = free_port()
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "KEYSERVICE_ENV_FILE": "",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
    "KEYSERVICE_ENCRYPTION_KEY": secrets.token_hex(32),
    "KEYSERVICE_DIGEST_SECRET": secrets.token_urlsafe(48),
    "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB}",
    "CACHE_URL": REDIS_URL,
    "REDIS_URL": REDIS_URL,
    "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "DJANGO_TRUST_X_FORWARDED_PROTO": "true",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "KEYSERVICE_LEASED_CACHE": VERIFY_CACHE,
    "BENCH_CELERY_QUEUE": CELERY_QUEUE,
    "BENCH_BUILDS_QUEUE": BUILDS_QUEUE,
    "PYTHONPATH": str(ROOT),
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))
