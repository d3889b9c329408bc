"""Key usage through the real gunicorn (2 workers, each with its own flush thread) and the real
Redis: verifies answered by both workers arrive in PostgreSQL after one collection (issue 13,
part 1)."""

from __future__ import annotations

import json
import time

import pytest
import redis

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from apikeys.usage.collect import usage_collect
from apikeys.usage.counting import COUNTS
from apikeys.usage.models import KeyUsageDay, KeyUse
from tests.support.gunicorn import Gunicorn

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_uses_answered_by_two_gunicorn_workers_are_all_counted_after_their_flush_and_a_collection(
    postgres, redis_url, settings, owner, showroom
):
    url = settings.TEST_REDIS_SPARE_URL
    client = redis.Redis.from_url(url)
    client.flushdb()
    settings.KEYSERVICE_USAGE_REDIS_URL = url
    key = apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    body = json.dumps(
        {"apiKey": key.plaintext, "userId": owner.public_id, "projectId": showroom.public_id}
    )
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token}",
        "X-Forwarded-Proto": "https",
    }
    with Gunicorn(
        GUNICORN_WORKERS="2",
        KEYSERVICE_USAGE_REDIS_URL=url,
        KEYSERVICE_USAGE_FLUSH_SECONDS="0.2",
        DJANGO_TRUST_X_FORWARDED_PROTO="true",
    ) as server:
        statuses = [
            server.request("POST", "/internal/v1/verify", headers, body)[0] for _ in range(60)
        ]
        assert statuses == [200] * 60
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            fields = client.hgetall(COUNTS)
            if sum(int(v) for v in fields.values()) == 60:
                break
            time.sleep(0.1)
    assert usage_collect() == 1
    assert KeyUsageDay.objects.get(key=key.api_key).accepted == 60
    assert KeyUse.objects.get(key=key.api_key).last_address == "127.0.0.1"
    client.flushdb()
