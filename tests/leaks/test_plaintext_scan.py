"""After a full journey through real services, each issued key is found in exactly two
places: its response page and its email. Not in logs (ours or the worker's), the database,
any Redis key, or any task message."""

import logging
import re
from typing import Any

import redis
from django.db import connection

from apikeys.models import ApiKey
from outbox.models import OutboxEmail
from tests.support.outbox import key_emails
from tests.support.waiting import wait_until

KEY_IN_PAGE = re.compile(r'<code id="api-key">(spx_[0-9A-Za-z]+)</code>')


def redis_dump(url: str) -> str:
    client = redis.Redis.from_url(url)
    # Replies are bytes (no decode_responses); redis-py types them bytes | str (or tuples).
    parts: list[Any] = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"list":
            parts.extend(client.lrange(key, 0, -1))
        elif kind == b"hash":
            parts.extend(v for pair in client.hgetall(key).items() for v in pair)
        elif kind == b"set":
            parts.extend(client.smembers(key))
        elif kind == b"zset":
            parts.extend(client.zrange(key, 0, -1))
        parts.append(key)
    client.close()
    return b"\n".join(parts).decode(errors="replace")


def database_dump() -> str:
    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def test_a_full_journey_leaves_each_key_only_on_its_page_and_in_its_email(
    client, owner, showroom, celery_broker, broker_queue, start_worker, smtp, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    settings.KEYSERVICE_ALLOW_HTTP = True
    worker = start_worker(celery_broker, broker_queue)
    client.post("/accounts/login/", {"login": owner.email, "password": "pw-owner-123"})
    pages, keys = [], []
    for _ in range(2):
        nonce = client.get("/keys/request/").context["nonce"]
        page = client.post("/keys/request/", {"nonce": nonce}).content.decode()
        pages.append(page)
        keys.extend(KEY_IN_PAGE.findall(page))
    assert len(keys) == 2
    current = keys[-1]
    query = {"userId": owner.public_id, "apikey": current}
    assert client.get(f"/pixelStripeApi/projects/{showroom.public_id}", query).status_code == 200
    assert client.get("/pixelStripeApi/projects", {**query, "apikey": keys[0]}).status_code == 401

    # The current key's email arrives; the first key's was sent or skipped (rotated).
    assert wait_until(lambda: OutboxEmail.objects.filter(state="pending").count() == 0)
    assert key_emails(ApiKey.objects.get(revoked_at__isnull=True)).get().state == "sent"
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in smtp.messages]
    worker_log = worker.output()
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    elsewhere = {
        "our logs": logs,
        "worker log": worker_log,
        "database": database_dump(),
        "redis": redis_dump(celery_broker),
    }
    assert "issued for user" in logs and "ready." in worker_log  # the scans read real output
    for key in keys:
        where = [name for name, text in elsewhere.items() if key in text or key[4:-6] in text]
        assert where == [], f"key found in {where}"
        assert sum(key in page for page in pages) == 1
    assert sum(current in body for body in bodies) == 1
    assert sum(keys[0] in body for body in bodies) <= 1
    assert all(sum(key in body for key in keys) == 1 for body in bodies)
