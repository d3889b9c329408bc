"""Queries, round trips and Redis commands per request, counted at the driver.

The Django test client serves each request in this process with the database and Redis
clients counted, for the verify cache's hits and misses too; and what PostgreSQL itself sees
(statements, rows written) during a verify load run against a real server.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from bench.config import DURATION, VERIFY_CACHE
from bench.database import pg_counters
from bench.load import wrk
from bench.processes import Gunicorn
from bench.request_files import verify_body


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
    warm hit (the third), with KEYSERVICE_LEASED_CACHE as this process has it."""
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

    from core.leasedcache import lease_holder, lease_holder_stop

    creds = seeded["small"][-5:]  # not used by per_request_counts
    close_old_connections()
    verify(verify_body(creds[0], "read"))  # opens the connection, warms the token
    rows = {}
    c_verify, c_detail = creds[3:5]
    holder = lease_holder()
    if holder is not None and not holder.await_lease(10):
        raise SystemExit("the driver's lease holder never got a lease")
    _hit_miss_rows(
        rows, "leases", (("verify read", verify, c_verify), ("project read", detail, c_detail))
    )
    lease_holder_stop()
    return {"verify_cache": VERIFY_CACHE, "rows": rows}


def _hit_miss_rows(rows: dict, design: str, calls: tuple) -> None:
    from django.db import close_old_connections, connection
    from django.test.utils import CaptureQueriesContext

    for label, call, c in calls:
        b = verify_body(c, "read")
        # Under the lease the first miss stores; the second request is a hit
        # (core.leasedcache).
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
