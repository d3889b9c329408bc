# ruff: noqa: S603  (subprocesses are this repository's own tools, argument lists)
"""`make bench`: the whole benchmark in one process tree, loopback only, every run bounded.

1. a fresh PostgreSQL database (migrated), Redis database BENCH_REDIS_DB flushed;
2. seed 10 000 users/keys/projects (+ memberships) and the peers' keys for the sampled users;
3. gunicorn with the repository's gunicorn.conf.py and bench.settings (production settings
   plus the bench-only views), checked request by request before any load;
4. wrk (Lua scripts in bench/lua) on every target, ROUNDS rounds in shuffled order, each
   run DURATION seconds after a warm-up; ratios to the plain Django view of the same round;
5. queries and Redis commands per request (Django test client, counted at the driver);
   statements and written rows seen by PostgreSQL during a verify load run;
6. a py-spy profile of the gunicorn workers under verify load;
7. seed up to 1 000 000 users and measure verify/read again (sampled over the whole table);
8. "Request API Key" over HTTP with a signed-in session (email enqueued, no worker), then the
   time to the email's arrival at a real SMTP server (aiosmtpd) through a real Celery worker;
9. bench/out/results.json, then docs/performance.md and docs/performance.png (bench/report.py).

BENCH_QUICK=1: 100 000 instead of 1 000 000 users, one 3 s round per target.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
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
# KEYSERVICE_VERIFY_CACHE of the main keyservice server; a second one always runs with "off".
VERIFY_CACHE = os.environ.get("KEYSERVICE_VERIFY_CACHE", "on")
DB_LARGE = DB + "_large"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "7")
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
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
    "KEYSERVICE_VERIFY_CACHE": VERIFY_CACHE,
    "BENCH_CELERY_QUEUE": CELERY_QUEUE,
    "BENCH_BUILDS_QUEUE": BUILDS_QUEUE,
    "PYTHONPATH": str(ROOT),
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))


# --- processes ------------------------------------------------------------------------------


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, check=True, **kw)


class Gunicorn:
    """The service as deployed: gunicorn.conf.py of the repository, bound to loopback. The bare
    projects (`app="bench.bare.wsgi"`) run under the same file: same workers, same access log."""

    def __init__(self, extra_env: dict[str, str] | None = None, app: str = "keyservice.wsgi"):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{self.port}", **(extra_env or {})}
        self.log_path = OUT / f"gunicorn-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", self.app],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# --- database -------------------------------------------------------------------------------


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    ) as conn:
        for statement in statements:
            conn.execute(statement)


def db_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_database(name: str) -> None:
    admin_sql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",  # noqa: S608
        f"DROP DATABASE IF EXISTS {name}",
    )


def fresh_database(name: str = DB) -> None:
    drop_database(name)
    admin_sql(f"CREATE DATABASE {name}")
    env = {**os.environ, "DATABASE_URL": db_url(name)}
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env)
    if name == DB:
        run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"])


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL)


def purge_queue(name: str) -> None:
    """Delete a Celery queue's messages (kombu keeps one list per priority step)."""
    client = redis_client()
    for key in client.keys(name + "*"):
        if key == name.encode() or key.startswith(name.encode() + b"\x06\x16"):
            client.delete(key)


def pg_counters() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT xact_commit + xact_rollback, tup_inserted, tup_updated, tup_deleted "
            "FROM pg_stat_database WHERE datname = current_database()"
        )
        xacts, ins, upd, dele = cur.fetchone()
    connection.close()
    return {"transactions": xacts, "inserted": ins, "updated": upd, "deleted": dele}


# --- seeding --------------------------------------------------------------------------------


def seed_small_and_peers() -> dict:
    from apikeys.services import service_token_create
    from bench.seed import seed_peers, seed_service, seed_uploads

    small_sample = set(random.sample(range(1, SMALL + 1), min(SAMPLE, SMALL)))
    started = time.monotonic()
    creds = seed_service(upto=SMALL, wanted=small_sample, reserve=SMALL + 1000)
    seconds = time.monotonic() - started
    small = [c for c in creds if c["index"] in small_sample]
    api_keys, knox_tokens = seed_peers(user_ids=[c["index"] for c in small])
    seed_uploads(dsn=db_url(DB), project_ids=read_projects(small))
    token = service_token_create(name="bench").plaintext
    return {
        "small": small,
        "api_keys": api_keys,
        "knox_tokens": knox_tokens,
        "service_token": token,
        "seed_seconds": seconds,
    }


# --- request files for wrk ------------------------------------------------------------------

JSON_HEADERS = ["Content-Type: application/json", "X-Forwarded-Proto: https"]


def verify_body(c: dict, access: str) -> dict:
    """Read: own project or the membership's (FULL or READONLY); write: own or FULL."""
    project = c["own_project"]
    if c["member_project"] and (access == "read" or c["member_role"] == "FULL"):
        project = c["member_project"]
    return {"apiKey": c["api_key"], "userId": c["user_id"], "projectId": project, "access": access}


def read_projects(creds: list[dict]) -> list[int]:
    """Ids of the projects the read targets ask for (bench user i owns project i; see seed)."""
    return sorted({c["index"] - {2: 1, 3: 2}.get(c["index"] % 4, 0) for c in creds})


def write_requests(name: str, headers: list[str], rows: list[tuple[str, str, str]]) -> Path:
    path = OUT / f"requests-{name}.txt"
    with path.open("w") as f:
        for header in headers:
            f.write(f"H\t{header}\n")
        for method, url, body in rows:
            f.write(f"R\t{method}\t{url}\t{body}\n")
    return path


def targets_for(seeded: dict, creds: list[dict], suffix: str = "") -> dict[str, dict]:
    from urllib.parse import urlencode

    token = seeded["service_token"]
    bearer = [*JSON_HEADERS, f"Authorization: Bearer {token}"]

    def body(d: dict) -> str:
        return json.dumps(d, separators=(",", ":"))

    def post(path: str, bodies: list[dict]) -> list[tuple[str, str, str]]:
        return [("POST", path, body(b)) for b in bodies]

    read_bodies = [verify_body(c, "read") for c in creds]
    write_bodies = [verify_body(c, "write") for c in creds]
    targets = {
        "plain": {
            "file": write_requests(
                "plain" + suffix, JSON_HEADERS, post("/bench/plain", read_bodies)
            ),
            "expect": 200,
        },
        "drf": {
            "file": write_requests("drf" + suffix, JSON_HEADERS, post("/bench/drf", read_bodies)),
            "expect": 200,
        },
        "verify_read": {
            "file": write_requests(
                "verify-read" + suffix, bearer, post("/internal/v1/verify", read_bodies)
            ),
            "expect": 200,
        },
        "verify_write": {
            "file": write_requests(
                "verify-write" + suffix, bearer, post("/internal/v1/verify", write_bodies)
            ),
            "expect": 200,
        },
        "project_detail": {
            "file": write_requests(
                "project-detail" + suffix,
                ["X-Forwarded-Proto: https"],
                [
                    (
                        "GET",
                        f"/pixelStripeApi/projects/{b['projectId']}?"
                        + urlencode({"userId": b["userId"], "apikey": b["apiKey"]}),
                        "",
                    )
                    for b in read_bodies
                ],
            ),
            "expect": 200,
        },
    }
    # The same requests against the bare project (its server is set by main()).
    targets["bare_plain"] = {"file": targets["plain"]["file"], "expect": 200}
    if suffix:
        return targets
    upload = [
        {k: v for k, v in b.items() if k != "access"}
        | {"fileUrl": "https://cdn.example.com/builds/bench.zip", "autoRelease": True}
        for b in write_bodies
    ]
    targets["upload_check"] = {
        "file": write_requests(
            "upload-check",
            JSON_HEADERS,
            post(
                "/pixelStripeApi/projects/upload-file",
                [u | {"fileUrl": "ftp://x/a.txt"} for u in upload],
            ),
        ),
        # every check of rows 1-12 passes; the invalid fileUrl stops it before any write
        "expect": 400,
    }
    targets["upload_real"] = {
        "file": write_requests(
            "upload-real", JSON_HEADERS, post("/pixelStripeApi/projects/upload-file", upload)
        ),
        "expect": 200,
    }
    small = {c["index"]: c for c in creds}
    # djangorestframework-api-key in its own bare project (bench/bare/settings_apikey.py). The
    # in-stack peers (bench/views.py, inside keyservice's server) are no longer measured: they
    # pay the dashboard's middleware chain, which the APIs no longer do (core/chains.py).
    targets["bare_apikey"] = {
        "file": write_peer(
            "peer-apikey", "/bench/peer-apikey", "Api-Key", seeded["api_keys"], small
        ),
        "expect": 200,
    }
    targets["verify_read_nocache"] = {**targets["verify_read"]}
    targets["verify_read_noleases"] = {**targets["verify_read"]}
    targets["verify_read_nousage"] = {**targets["verify_read"]}
    return targets


def write_peer(name: str, path: str, scheme: str, secrets_by_user: dict, creds: dict) -> Path:
    out = OUT / f"requests-{name}.txt"
    with out.open("w") as f:
        for header in JSON_HEADERS:
            f.write(f"H\t{header}\n")
        for uid, secret in secrets_by_user.items():
            b = verify_body(creds[uid], "read")
            b.pop("apiKey")
            f.write(
                f"R\tPOST\t{path}\t{json.dumps(b, separators=(',', ':'))}\t"
                f"Authorization: {scheme} {secret}\n"
            )
    return out


# --- probes and load ------------------------------------------------------------------------


def probe(server: Gunicorn, name: str, target: dict, count: int = 20) -> None:
    """Replay the first requests of a target with `requests` and check every answer."""
    import requests

    server = target.get("server", server)

    headers, rows = {}, []
    for line in target["file"].read_text().splitlines():
        f = line.split("\t")
        if f[0] == "H":
            k, _, v = f[1].partition(":")
            headers[k] = v.strip()
        else:
            rows.append(f)
    for f in rows[:count]:
        h = dict(headers)
        if len(f) > 4 and f[4]:
            k, _, v = f[4].partition(":")
            h[k] = v.strip()
        r = requests.request(f[1], server.url + f[2], data=f[3] or None, headers=h, timeout=10)
        if r.status_code != target["expect"]:
            raise RuntimeError(f"{name}: {f[1]} {f[2]} answered {r.status_code}: {r.text[:300]}")
        if target["expect"] == 200 and name.startswith(("verify", "bare", "drf", "plain")):
            assert r.json()["valid"] is True, r.text


def wrk(server: Gunicorn, target: dict, duration: int, connections: int = CONNECTIONS) -> dict:
    server = target.get("server", server)
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "lua" / "requests.lua"),
        server.url,
        "--",
        str(target["file"]),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCHJSON "))
    result = json.loads(line.removeprefix("BENCHJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    expected_errors = result["requests"] if target["expect"] != 200 else 0
    result["unexpected"] = (
        abs(result["status_errors"] - expected_errors)
        + result["connect_errors"]
        + result["read_errors"]
        + result["write_errors"]
        + result["timeouts"]
    )
    return result


REFERENCE = "bare_plain"  # the ceiling: a plain JsonResponse view in a bare project


def load_rounds(server: Gunicorn, targets: dict[str, dict], rounds: int) -> dict[str, list]:
    results: dict[str, list] = {name: [] for name in targets}
    for name, target in targets.items():
        probe(server, name, target)
        wrk(server, target, WARMUP)
    others = [name for name in targets if name != REFERENCE]
    for n in range(rounds):
        random.Random(n).shuffle(others)
        order = [REFERENCE, *others, REFERENCE]  # the reference runs first and last
        round_results: dict[str, list] = {}
        for name in order:
            if name == "upload_real":
                purge_queue(BUILDS_QUEUE)
            r = wrk(server, targets[name], DURATION)
            round_results.setdefault(name, []).append(r)
            log(
                f"round {n + 1}/{rounds} {name:15s} {r['rps']:8.1f} req/s  "
                f"p50 {r['p50_us'] / 1000:6.2f} ms  p99 {r['p99_us'] / 1000:6.2f} ms"
                + (f"  UNEXPECTED {r['unexpected']}" if r["unexpected"] else "")
            )
        for name, runs in round_results.items():
            if name == REFERENCE:  # mean of the first and last reference run of the round
                results[name].append(
                    {
                        k: statistics.mean(r[k] for r in runs)
                        for k in ("rps", "p50_us", "p99_us", "requests", "unexpected")
                    }
                )
            else:
                results[name].append(runs[0])
    purge_queue(BUILDS_QUEUE)
    return results


def ratio(results: dict[str, list], name: str, reference: str) -> float:
    """Median over rounds of name's req/s ÷ reference's req/s in the same round."""
    return statistics.median(
        r["rps"] / p["rps"] for r, p in zip(results[name], results[reference], strict=True)
    )


def latency_c1(server: Gunicorn, targets: dict[str, dict]) -> dict:
    """One connection (wrk -c1): latency without queueing, the bare view against verify,
    alternating, each REPEATS times; medians of p50/p99."""
    runs: dict[str, list] = {n: [] for n in ("bare_plain", "verify_read", "project_detail")}
    for _ in range(1 if QUICK else 3):
        for name in runs:
            runs[name].append(wrk(server, targets[name], DURATION, connections=1))
    return {
        name: {
            "p50_ms": statistics.median(r["p50_us"] for r in rs) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in rs) / 1000,
            "rps": statistics.median(r["rps"] for r in rs),
            "requests": sum(r["requests"] for r in rs),
        }
        for name, rs in runs.items()
    }


def summarize(results: dict[str, list]) -> dict[str, dict]:
    plain = results[REFERENCE]
    summary = {}
    for name, runs in results.items():
        summary[name] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
            "rps_ratio": statistics.median(
                r["rps"] / p["rps"] for r, p in zip(runs, plain, strict=True)
            ),
            "p50_ratio": statistics.median(
                r["p50_us"] / p["p50_us"] for r, p in zip(runs, plain, strict=True)
            ),
            "p99_ratio": statistics.median(
                r["p99_us"] / p["p99_us"] for r, p in zip(runs, plain, strict=True)
            ),
            "requests": sum(r["requests"] for r in runs),
            "unexpected": sum(r["unexpected"] for r in runs),
            "rounds": len(runs),
        }
    return summary


# --- queries, round trips, Redis commands per request --------------------------------------


class Counting:
    """Counts what reaches PostgreSQL (every psycopg execute, Django's or not, e.g. the
    CONN_HEALTH_CHECKS probe) and Redis (every command) while active."""

    def __init__(self) -> None:
        import psycopg
        import redis

        self.db: list[str] = []
        self.redis: list[str] = []
        self._patches = []
        me = threading.get_ident()  # not the lease holder's thread (core.leases)
        for cls, attr, sink in (
            (psycopg.Cursor, "execute", self.db),
            (redis.Redis, "execute_command", self.redis),
        ):
            original = getattr(cls, attr)

            def wrapper(obj, *args, _original=original, _sink=sink, **kwargs):
                if threading.get_ident() == me:
                    _sink.append(str(args[0])[:60])
                return _original(obj, *args, **kwargs)

            self._patches.append((cls, attr, original))
            setattr(cls, attr, wrapper)

    def close(self) -> None:
        for cls, attr, original in self._patches:
            setattr(cls, attr, original)


def per_request_counts(seeded: dict) -> dict:
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    c = seeded["small"][0]
    token = seeded["service_token"]
    good = verify_body(c, "read")
    bad_checksum = good["apiKey"][:-1] + ("A" if good["apiKey"][-1] != "A" else "B")
    cases = {
        "verify read (valid)": ("verify", good),
        "verify write (valid)": ("verify", verify_body(c, "write")),
        "verify, unknown key (well-formed)": (
            "verify",
            good | {"apiKey": _other_key()},
        ),
        "verify, bad checksum": ("verify", good | {"apiKey": bad_checksum}),
        "verify, malformed key": ("verify", good | {"apiKey": "not-a-key"}),
        "project detail (valid)": ("detail", good),
        "project detail, bad checksum": ("detail", good | {"apiKey": bad_checksum}),
        "project detail, malformed key": ("detail", good | {"apiKey": "not-a-key"}),
        "upload-file check (valid, fileUrl invalid)": ("upload", good),
    }
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    rows = {}
    for label, (kind, b) in cases.items():
        for attempt in range(2):  # the first one opens the connection; count the second
            close_old_connections()  # what the WSGI handler does on request_started
            if attempt == 1:
                counting = Counting()
            with CaptureQueriesContext(connection) as django_queries:
                if kind == "verify":
                    r = client.post(
                        "/internal/v1/verify",
                        b,
                        content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {token}",
                    )
                elif kind == "detail":
                    r = client.get(
                        f"/pixelStripeApi/projects/{b['projectId']}",
                        {"userId": b["userId"], "apikey": b["apiKey"]},
                    )
                else:
                    body = {k: v for k, v in b.items() if k != "access"} | {
                        "projectId": c["own_project"],
                        "fileUrl": "ftp://x/a.txt",
                    }
                    r = client.post(
                        "/pixelStripeApi/projects/upload-file",
                        body,
                        content_type="application/json",
                    )
        counting.close()
        sql = [q["sql"] for q in django_queries.captured_queries]
        rows[label] = {
            "status": r.status_code,
            "django_queries": len(sql),
            "db_round_trips": len(counting.db),
            "statements": counting.db,
            "writes": sum(1 for s in sql if not s.lstrip().upper().startswith("SELECT")),
            "redis_commands": Counter(counting.redis),
        }
    from django.core.cache import cache

    cache.clear()  # the failing cases above counted authentication failures
    return rows


def hit_miss_counts(seeded: dict) -> dict:
    """Round trips, writes and Redis commands of a verify read and a project read on a miss
    (the first request for a credential this process has not seen), the second request and a
    warm hit (the third), with KEYSERVICE_VERIFY_CACHE as this process has it."""
    from django.db import close_old_connections
    from django.test import Client

    token = seeded["service_token"]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")

    def verify(b: dict):
        return client.post(
            "/internal/v1/verify",
            b,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    def detail(b: dict):
        return client.get(
            f"/pixelStripeApi/projects/{b['projectId']}",
            {"userId": b["userId"], "apikey": b["apiKey"]},
        )

    from django.conf import settings

    from apikeys.verifycache import verify_cache_lease, verify_cache_leases_stop

    creds = seeded["small"][-5:]  # not used by per_request_counts
    close_old_connections()
    verify(verify_body(creds[0], "read"))  # opens the connection, warms the token
    rows = {}
    designs = (("stamps", False, creds[1:3]), ("leases", True, creds[3:5]))
    for design, leased, (c_verify, c_detail) in designs:
        settings.KEYSERVICE_VERIFY_CACHE_LEASES = leased
        holder = verify_cache_lease()
        if leased and holder is not None and not holder.await_lease(10):
            raise SystemExit("the driver's lease holder never got a lease")
        _hit_miss_rows(
            rows, design, (("verify read", verify, c_verify), ("project read", detail, c_detail))
        )
    verify_cache_leases_stop()
    return {"verify_cache": VERIFY_CACHE, "rows": rows}


def _hit_miss_rows(rows: dict, design: str, calls: tuple) -> None:
    from django.db import close_old_connections, connection
    from django.test.utils import CaptureQueriesContext

    for label, call, c in calls:
        b = verify_body(c, "read")
        # Stamps: the cache learns which stamps an answer needs on the first miss and stores
        # the answer on the second (apikeys/verifycache.py): the third is the first hit.
        # Leases: the first miss stores; the second request is a hit.
        for case in ("miss", "second request", "warm hit"):
            close_old_connections()
            counting = Counting()
            try:
                with CaptureQueriesContext(connection) as queries:
                    r = call(b)
            finally:
                counting.close()
            sql = [q["sql"] for q in queries.captured_queries]
            rows[f"{label}, {case} ({design})"] = {
                "status": r.status_code,
                "db_round_trips": len(counting.db),
                "writes": sum(1 for q in sql if not q.lstrip().upper().startswith("SELECT")),
                "redis_commands": Counter(counting.redis),
            }


def _other_key() -> str:
    from apikeys import crypto

    return crypto.generate_key()


def db_activity_under_load(server: Gunicorn, target: dict) -> dict:
    """What PostgreSQL itself saw during a verify load run: transactions (each autocommit
    statement is one) and rows written, per request. Stats are flushed by idle backends
    within 10 s, hence the wait."""
    time.sleep(11)
    before = pg_counters()
    result = wrk(server, target, DURATION)
    time.sleep(11)
    after = pg_counters()
    delta = {k: after[k] - before[k] for k in before}
    delta["transactions"] -= 2  # the two pg_counters() reads themselves
    n = result["requests"]
    return {
        "requests": n,
        "transactions_per_request": delta["transactions"] / n,
        "rows_written": delta["inserted"] + delta["updated"] + delta["deleted"],
    }


# --- in-process CPU per request (Django test client: no HTTP server, no load generator) ------


def inprocess_cpu(seeded: dict) -> dict:
    """CPU time of this process per request, for each kind of request, through Django's
    whole handler and middleware (the test client), with the database and Redis real. Less
    sensitive to other load on the machine than the HTTP runs; a cProfile (CPU clock) of
    verify attributes it to functions, on the APIs' chain and on the dashboard's."""
    from django.db import close_old_connections
    from django.test import Client

    c = seeded["small"][0]
    token = seeded["service_token"]
    read = verify_body(c, "read")
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    js = "application/json"
    calls = {
        "plain": lambda: client.post("/bench/plain", read, content_type=js),
        "drf": lambda: client.post("/bench/drf", read, content_type=js),
        "verify_read": lambda: client.post(
            "/internal/v1/verify", read, content_type=js, HTTP_AUTHORIZATION=f"Bearer {token}"
        ),
        "project_detail": lambda: client.get(
            f"/pixelStripeApi/projects/{read['projectId']}",
            {"userId": read["userId"], "apikey": read["apiKey"]},
        ),
    }
    n = 300 if QUICK else 1500
    out: dict = {"requests": n, "cpu_us": {}}
    for name, call in calls.items():
        for _ in range(50):
            close_old_connections()
            assert call().status_code == 200, name
        t = time.process_time()
        for _ in range(n):
            close_old_connections()  # as the WSGI handler does on request_started
            call()
        out["cpu_us"][name] = (time.process_time() - t) / n * 1e6
    out["verify_cprofile_share"] = _cprofile_shares(calls["verify_read"], n)
    # The same verify through the dashboard's chain, as every API request went before
    # core/chains.py: MIDDLEWARE without its first entry (the chooser), a new test client.
    from django.conf import settings
    from django.test import override_settings

    with override_settings(MIDDLEWARE=settings.MIDDLEWARE[1:]):
        before = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")

        def verify_before():
            return before.post(
                "/internal/v1/verify", read, content_type=js, HTTP_AUTHORIZATION=f"Bearer {token}"
            )

        for _ in range(50):
            close_old_connections()
            assert verify_before().status_code == 200
        t = time.process_time()
        for _ in range(n):
            close_old_connections()
            verify_before()
        out["cpu_us"]["verify_read_dashboard_chain"] = (time.process_time() - t) / n * 1e6
        out["verify_cprofile_share_dashboard_chain"] = _cprofile_shares(verify_before, n)
    return out


def _cprofile_shares(call, n: int) -> dict[str, float]:
    """cProfile (CPU clock) of n calls: each CPROFILE_FUNCTIONS entry's inclusive share."""
    import cProfile
    import pstats

    from django.db import close_old_connections

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(n):
        close_old_connections()
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # (file, line, func) -> (cc, nc, tt, ct, callers)
    total = max(
        ct
        for (f, _, fn), (_, _, _, ct, _) in stats.items()
        if fn == "get_response" and "base.py" in f
    )
    shares = {}
    for label, file_part, func in CPROFILE_FUNCTIONS:
        ct = sum(
            v[3]
            for (f, _, fn), v in stats.items()
            if fn == func and file_part in f.replace("\\", "/")
        )
        shares[label] = ct / total
    return shares


CPROFILE_FUNCTIONS = [
    (
        "middleware + view (Django BaseHandler.get_response)",
        "django/core/handlers/base.py",
        "get_response",
    ),
    ("lean transport (api/lean.py: the view verify's URL calls)", "api/lean.py", "view"),
    (
        "DRF APIView.dispatch (only unusual requests reach it)",
        "rest_framework/views.py",
        "dispatch",
    ),
    (
        "Django RedisCacheClient.get_client (new redis.Redis per call)",
        "django/core/cache/backends/redis.py",
        "get_client",
    ),
    ("verify_answer (the view body)", "api/internal_views.py", "verify_answer"),
    ("  JSON body parsing (lean transport)", "api/lean.py", "_json_object"),
    ("  JSON rendering (lean transport)", "api/lean.py", "_json"),
    ("authorize_project (digests + the one query)", "api/auth.py", "authorize_project"),
    (
        "  of which credential_lookup (SQL round trip)",
        "apikeys/credentials.py",
        "credential_lookup",
    ),
    ("  of which HMAC digests (key, service token)", "hmac.py", "hexdigest"),
    ("DRF content negotiation", "rest_framework/views.py", "perform_content_negotiation"),
    (
        "request.data (JSON parsing, StrictJSONParser)",
        "rest_framework/request.py",
        "_load_data_and_files",
    ),
    ("DRF finalize_response", "rest_framework/views.py", "finalize_response"),
    ("URL resolving", "django/core/handlers/base.py", "resolve_request"),
    ("URL resolving, APIs' chain (kept matches)", "core/chains.py", "resolve_request"),
    (
        "CSP middleware (builds the policy on every response)",
        "csp/middleware.py",
        "process_response",
    ),
    (
        "messages middleware (dashboard chain only)",
        "django/contrib/messages/middleware.py",
        "process_response",
    ),
]


# --- connection loss ------------------------------------------------------------------------


def connection_loss(server: Gunicorn, target: dict) -> dict:
    """Terminate every backend of the bench database twice during a verify load run: the
    persistent connections of all workers die. Answers other than 200 are counted."""
    seconds = 4 if QUICK else 8
    result: dict = {}

    def load() -> None:
        result.update(wrk(server, target, seconds))

    thread = threading.Thread(target=load)
    thread.start()
    killed = 0
    for _ in range(2):
        time.sleep(seconds / 3)
        import psycopg

        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (DB,),
            ).fetchall()
            killed += len(rows)
    thread.join()
    from django.db import connection

    connection.close()  # the driver's own connection was terminated too
    return {"requests": result["requests"], "terminated": killed, "not_200": result["unexpected"]}


# --- profile --------------------------------------------------------------------------------

COMPONENTS = [  # (label, path prefixes of the innermost frame's file as py-spy prints it)
    ("psycopg (PostgreSQL wire, waiting included)", ("psycopg/", "psycopg_binary/")),
    (
        "redis-py (waiting included: the lease thread's blocking XREAD, the usage flush)",
        ("redis/",),
    ),
    ("gunicorn (HTTP parsing, socket I/O, close)", ("gunicorn/",)),
    ("DRF", ("rest_framework/",)),
    ("keyservice code", ("api/", "apikeys/", "teams/", "accounts/", "keyservice/")),
    ("third-party middleware (csp, whitenoise, allauth)", ("csp/", "whitenoise/", "allauth/")),
    ("Django", ("django/",)),
]
FUNCTIONS = [
    ("gunicorn: handle one request (all of it)", "handle_request (gunicorn/workers/"),
    ("Django WSGIHandler.__call__ (middleware + view)", "__call__ (django/core/handlers/wsgi.py"),
    ("lean transport (api/lean.py)", "view (api/lean.py"),
    ("DRF APIView.dispatch", "dispatch (rest_framework/views.py"),
    ("verify_answer (the view body)", "verify_answer (api/internal_views.py"),
    ("authorize_project", "authorize_project (api/auth.py"),
    ("credential_lookup (one SQL query)", "credential_lookup (apikeys/credentials.py"),
    ("DB connection health check (SELECT 1)", "close_if_health_check_failed ("),
    ("HMAC digests (key and token)", "digest ("),
    (
        "DRF APIView.initial (negotiation, permission/throttle hooks)",
        "initial (rest_framework/views.py",
    ),
    ("DRF finalize_response + JSON rendering", "finalize_response (rest_framework/views.py"),
    ("request.data (JSON parsing)", "data (rest_framework/request.py"),
    ("gunicorn access log line", "access (gunicorn/glogging.py"),
    ("csp middleware", "(csp/middleware.py"),
]


def profile_verify(server: Gunicorn, target: dict) -> dict:
    seconds = 4 if QUICK else 10
    raw = OUT / "profile-verify.txt"
    spy = subprocess.Popen(
        [
            str(VENV_BIN / "py-spy"),
            "record",
            "--pid",
            str(server.proc.pid),
            "--subprocesses",
            "--rate",
            "200",
            "--duration",
            str(seconds),
            "--format",
            "raw",
            "-o",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1)
    wrk(server, target, seconds + 1)
    _, err = spy.communicate(timeout=60)
    if spy.returncode != 0 or not raw.exists():
        return {"error": err.decode(errors="replace")[-500:]}
    return analyze_profile(raw)


def analyze_profile(raw: Path) -> dict:
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if frames and frames[0].startswith(("process ", "thread ")):
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += n
        match = re.search(r"\(([^()]*?):\d+\)$", frames[-1])
        path = match[1] if match else ""
        for name, prefixes in COMPONENTS:
            if path.startswith(prefixes):
                own[name] += n
                break
        else:
            own["standard library and other"] += n
        for label, needle in FUNCTIONS:
            if any(needle in f for f in frames):
                inclusive[label] += n
    return {
        "samples": total,
        "self_by_component": {k: v / total for k, v in own.most_common()},
        "inclusive": {label: inclusive[label] / total for label, _ in FUNCTIONS},
    }


# --- Request API Key and its email ----------------------------------------------------------

KEY_IN_PAGE = re.compile(r'<code id="api-key">(spx_[0-9A-Za-z]+)</code>')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


class Dashboard:
    """A signed-in browser, over HTTP: the session cookie is the one Django's login writes."""

    def __init__(self, server: Gunicorn, email: str) -> None:
        from importlib import import_module

        import requests
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

        from accounts.models import User
        from accounts.services import user_vouched_address_record

        user = User.objects.create_user(email, None, name="Bench dashboard user")
        user_vouched_address_record(user=user)  # only verified accounts have sessions
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        self.cookies = {settings.SESSION_COOKIE_NAME: store.session_key}
        self.server = server
        self.session = requests.Session()
        origin = f"https://127.0.0.1:{server.port}"
        self.headers = {"X-Forwarded-Proto": "https", "Origin": origin}
        self.referer = origin + "/keys/request/"
        self.email = email

    def _send(self, method: str, path: str, **kw):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        r = self.session.request(
            method,
            self.server.url + path,
            headers={**self.headers, "Cookie": cookie, "Referer": self.referer},
            allow_redirects=False,
            timeout=30,
            **kw,
        )
        self.cookies.update(r.cookies.get_dict())
        return r

    def request_key(self) -> tuple[str, float, float]:
        """GET the confirmation page, POST it; returns the key and both durations (s)."""
        t0 = time.perf_counter()
        page = self._send("GET", "/keys/request/")
        t1 = time.perf_counter()
        assert page.status_code == 200, (page.status_code, page.text[:300])
        form = {
            "csrfmiddlewaretoken": CSRF.search(page.text)[1],
            "nonce": NONCE.search(page.text)[1],
        }
        t2 = time.perf_counter()
        issued = self._send("POST", "/keys/request/", data=form)
        t3 = time.perf_counter()
        assert issued.status_code == 200, (issued.status_code, issued.text[:300])
        assert issued.headers.get("Cache-Control", "").find("no-store") >= 0
        return KEY_IN_PAGE.search(issued.text)[1], t1 - t0, t3 - t2


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def request_key_latency(server: Gunicorn) -> dict:
    dashboard = Dashboard(server, "bench-dashboard@bench.invalid")
    dashboard.request_key()  # warm-up
    gets, posts = [], []
    for _ in range(KEY_REQUESTS):
        _, get_s, post_s = dashboard.request_key()
        gets.append(get_s * 1000)
        posts.append(post_s * 1000)
    purge_queue(CELERY_QUEUE)  # enqueued, never sent
    return {
        "requests": KEY_REQUESTS,
        "post_p50_ms": statistics.median(posts),
        "post_p99_ms": percentile(posts, 99),
        "post_mean_ms": statistics.mean(posts),
        "get_p50_ms": statistics.median(gets),
    }


def email_arrival(server: Gunicorn) -> dict:
    from aiosmtpd.controller import Controller

    arrivals: list[tuple[float, bytes]] = []
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook
            with lock:
                arrivals.append((time.perf_counter(), envelope.content))
            return "250 OK"

    smtp = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    worker_log = OUT / "worker.log"
    purge_queue(CELERY_QUEUE)
    with worker_log.open("wb") as out:
        worker = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                *("-A", "keyservice", "worker", "-Q", CELERY_QUEUE, "--loglevel=INFO"),
                *("--concurrency=2", "--without-heartbeat", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in worker_log.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "celery worker did not start:\n" + worker_log.read_text()[-2000:]
                )
            time.sleep(0.1)
        dashboard = Dashboard(server, "bench-email@bench.invalid")
        latencies = []
        for _ in range(EMAILS):
            with lock:
                arrivals.clear()
            started = time.perf_counter()
            key, _, _ = dashboard.request_key()
            deadline = time.monotonic() + 30
            arrived = None
            while arrived is None and time.monotonic() < deadline:
                with lock:
                    arrived = next((t for t, body in arrivals if key.encode() in body), None)
                time.sleep(0.002)
            if arrived is None:
                raise RuntimeError("the key email did not arrive within 30 s")
            latencies.append((arrived - started) * 1000)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        smtp.stop()
    return {
        "emails": EMAILS,
        "p50_ms": statistics.median(latencies),
        "max_ms": max(latencies),
        "min_ms": min(latencies),
    }


# --- machine --------------------------------------------------------------------------------


def machine() -> dict:
    def cmd(args: list[str]) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        shared_buffers = cur.fetchone()[0]
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "?",
    )
    from importlib.metadata import version

    import django
    import gunicorn
    import knox  # noqa: F401
    import rest_framework

    return {
        "nproc": cmd(["nproc"]),
        "cpu": cpu,
        "free": cmd(["free", "-m"]),
        "uname": cmd(["uname", "-srmv"]),
        "python": platform.python_version(),
        "postgres": pg,
        "shared_buffers": shared_buffers,
        "redis": cmd(["redis-server", "--version"]) or cmd(["redis-cli", "--version"]),
        "wrk": cmd(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "?",
        "django": django.get_version(),
        "drf": rest_framework.__version__,
        "gunicorn": gunicorn.__version__,
        "djangorestframework-api-key": version("djangorestframework-api-key"),
        "django-rest-knox": version("django-rest-knox"),
        "gunicorn_conf": (ROOT / "gunicorn.conf.py").read_text(),
    }


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("gunicorn-*.log"):
        old.unlink()
    random.seed(20250101)
    log(
        f"quick={QUICK} small={SMALL} large={LARGE} duration={DURATION}s "
        f"rounds={ROUNDS} c={CONNECTIONS}"
    )
    redis_client().flushdb()
    fresh_database()
    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the driver's own 4xx probes
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command lines
    large_sample = set(random.sample(range(1, LARGE + 1), SAMPLE))
    log(f"seeding {SMALL} users, keys, projects; the peers' keys for {SAMPLE} of them")
    seeded = seed_small_and_peers()
    log(f"seeded in {seeded['seed_seconds']:.1f} s")
    results: dict = {
        "quick": QUICK,
        "small": SMALL,
        "large": LARGE,
        "duration": DURATION,
        "rounds": ROUNDS,
        "connections": CONNECTIONS,
        "note": os.environ.get("BENCH_NOTE", ""),
        "machine": machine(),
    }
    server = Gunicorn()  # KEYSERVICE_VERIFY_CACHE=VERIFY_CACHE
    nocache = Gunicorn({"KEYSERVICE_VERIFY_CACHE": "off"})
    nousage = Gunicorn({"KEYSERVICE_USAGE": "false"})  # key usage (apikeys.usage) off
    noleases = Gunicorn({"KEYSERVICE_VERIFY_CACHE_LEASES": "false"})  # an MGET per hit
    bare = Gunicorn({"DJANGO_SETTINGS_MODULE": "bench.bare.settings"}, app="bench.bare.wsgi")
    bare_apikey = Gunicorn(
        {"DJANGO_SETTINGS_MODULE": "bench.bare.settings_apikey"}, app="bench.bare.wsgi"
    )
    servers = [server, nocache, nousage, noleases, bare, bare_apikey]
    for s in servers:
        s.start()
    try:
        targets = targets_for(seeded, seeded["small"])
        targets["bare_plain"]["server"] = bare
        targets["bare_apikey"]["server"] = bare_apikey
        targets["verify_read_nocache"]["server"] = nocache
        targets["verify_read_nousage"]["server"] = nousage
        targets["verify_read_noleases"]["server"] = noleases
        log("queries and Redis commands per request")
        results["per_request"] = per_request_counts(seeded)
        results["hit_miss"] = hit_miss_counts(seeded)
        log("load runs at the small scale")
        small_runs = load_rounds(server, targets, ROUNDS)
        results["runs_small"] = small_runs
        results["small_summary"] = summarize(small_runs)
        results["vs_apikey"] = {
            n: ratio(small_runs, n, "bare_apikey")
            for n in (
                "verify_read",
                "verify_write",
                "verify_read_nocache",
                "verify_read_nousage",
                "verify_read_noleases",
                "project_detail",
            )
        }
        log("one connection: bare view vs verify (wrk -c1)")
        results["c1"] = latency_c1(server, targets)
        log("CPU per request in-process (test client) and a cProfile of verify")
        results["inprocess"] = inprocess_cpu(seeded)
        log("database connections killed during verify load")
        results["connection_loss"] = connection_loss(server, targets["verify_read"])
        log("what PostgreSQL sees during a verify load run")
        results["db_under_load"] = db_activity_under_load(server, targets["verify_read"])
        log("profiling the workers under verify load (py-spy)")
        results["profile"] = profile_verify(server, targets["verify_read"])
        log("Request API Key latency")
        results["request_key"] = request_key_latency(server)
        log("email arrival through a real worker and SMTP server")
        results["email"] = email_arrival(server)
        log("what-if: one Redis client per pool in the cache backend (bench/cache.py)")
        whatif = Gunicorn({"BENCH_WHATIF": "1"})
        whatif.start()
        try:
            wt = {k: targets[k] for k in ("bare_plain", "verify_read", "project_detail")}
            results["whatif_summary"] = summarize(load_rounds(whatif, wt, ROUNDS))
        finally:
            whatif.stop()
        log(f"a second database with {LARGE} users, and its own server")
        fresh_database(DB_LARGE)
        from bench.seed import copy_service_tokens, seed_service, seed_uploads

        t = time.monotonic()
        large_creds = seed_service(upto=LARGE, wanted=large_sample, dsn=db_url(DB_LARGE))
        copy_service_tokens(source_dsn=db_url(DB), target_dsn=db_url(DB_LARGE))
        seed_uploads(dsn=db_url(DB_LARGE), project_ids=read_projects(large_creds))
        results["large_seed_seconds"] = time.monotonic() - t
        log(f"seeded in {results['large_seed_seconds']:.1f} s")
        large_server = Gunicorn({"DATABASE_URL": db_url(DB_LARGE)})
        large_server.start()
        try:
            large_targets = targets_for(seeded, large_creds, suffix="-large")
            scale = {
                "bare_plain": targets["bare_plain"],
                "verify_read": targets["verify_read"],
                "verify_read_large": {**large_targets["verify_read"], "server": large_server},
                "project_detail": targets["project_detail"],
                "project_detail_large": {
                    **large_targets["project_detail"],
                    "server": large_server,
                },
            }
            scale_runs = load_rounds(server, scale, ROUNDS)
        finally:
            large_server.stop()
        results["runs_scale"] = scale_runs
        results["scale_summary"] = summarize(scale_runs)
        results["scale_ratio"] = {
            n: statistics.median(
                big["rps"] / small["rps"]
                for big, small in zip(scale_runs[n + "_large"], scale_runs[n], strict=True)
            )
            for n in ("verify_read", "project_detail")
        }
    finally:
        for s in servers:
            s.stop()
    results["elapsed_seconds"] = time.monotonic() - started
    results["finished"] = time.time()
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))
    if os.environ.get("BENCH_KEEP_DB") != "1":
        from django.db import connection

        connection.close()
        drop_database(DB)
        drop_database(DB_LARGE)
        redis_client().flushdb()
    from bench import report

    report.main()
    log(f"done in {results['elapsed_seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
