"""Two real Celery workers collecting key usage at once apply each batch once and send the
"your previous key is still in use" email once, over real SMTP (issue 13, part 2)."""

from __future__ import annotations

import json
import time

import pytest
import redis

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from apikeys.tasks import usage_collect_task
from apikeys.usage.counting import usage_buffer_take, usage_flush_local
from apikeys.usage.models import KeyUse
from tests.support.waiting import wait_until

pytestmark = pytest.mark.services


def test_two_workers_collecting_at_once_count_each_use_once_and_mail_the_owner_once(
    client, owner, showroom, celery_broker, broker_queue, start_worker, smtp, settings
):
    url = settings.TEST_REDIS_SPARE_URL
    usage = redis.Redis.from_url(url)
    usage.flushdb()
    settings.KEYSERVICE_USAGE_REDIS_URL = url
    usage_buffer_take()
    old = apikey_issue(user=owner)
    apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    body = {"apiKey": old.plaintext, "userId": owner.public_id, "projectId": showroom.public_id}
    for _ in range(5):
        answer = client.post(
            "/internal/v1/verify",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert answer.status_code == 401
    usage_flush_local()
    for _ in range(2):
        start_worker(celery_broker, broker_queue, KEYSERVICE_USAGE_REDIS_URL=url)
    smtp.messages.clear()  # the two key emails, if they arrived already
    for _ in range(4):
        usage_collect_task.delay()
    assert wait_until(lambda: KeyUse.objects.filter(key=old.api_key).exists(), timeout=30)
    notices = lambda: [m for m in smtp.messages if "still in use" in m["Subject"]]  # noqa: E731
    assert wait_until(lambda: len(notices()) == 1, timeout=30)
    time.sleep(1.0)
    assert len(notices()) == 1
    assert KeyUse.objects.get(key=old.api_key).retired_uses == 5
    text = notices()[0].get_body(preferencelist=("plain",)).get_content()
    assert old.api_key.hint in text and old.plaintext not in text
    usage.flushdb()
