"""With a real Celery worker on Redis and PostgreSQL: an event is sent once its transaction
commits, never after a rollback, retried with the same delivery id, and the broker message
carries only the row's id."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from django.db import transaction

from apikeys.services import apikey_issue
from core.outbound import signature_verify
from lifecycle.models import LifecycleDelivery
from lifecycle.tests.conftest import make_subscriber
from tests.support.waiting import wait_until

pytestmark = pytest.mark.services


@pytest.fixture
def worker(celery_broker, broker_queue, start_worker, settings):
    settings.KEYSERVICE_WEBHOOKS_QUEUE = broker_queue  # lifecycle tasks ride the webhooks queue
    return start_worker(
        celery_broker,
        broker_queue,
        KEYSERVICE_WEBHOOKS_QUEUE=broker_queue,
        KEYSERVICE_LIFECYCLE_RETRY_BASE_SECONDS=0.2,
    )


def test_a_rolled_back_change_sends_nothing_and_a_committed_one_is_sent_once(
    receiver, owner, worker
):
    _, secret = make_subscriber(receiver, events=["key.issued", "key.revoked"])
    with pytest.raises(RuntimeError), transaction.atomic():
        apikey_issue(user=owner)
        raise RuntimeError("rolled back after issuing")
    committed = apikey_issue(user=owner)

    assert wait_until(lambda: LifecycleDelivery.objects.filter(state="delivered").count() == 1)
    # The worker takes messages in order: a message of the rolled-back issue would be first.
    assert wait_until(lambda: len(receiver.requests) >= 1)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert (body["event"], body["data"]["keyHint"]) == ("key.issued", committed.api_key.hint)
    assert signature_verify(
        secret=secret, header=request.headers["x-keyservice-signature"], body=request.body
    )
    assert LifecycleDelivery.objects.count() == 1  # nothing of the rolled-back issue


def test_the_worker_retries_a_503_and_a_dropped_answer_with_one_delivery_id(
    receiver, owner, worker
):
    _, secret = make_subscriber(receiver, events=["key.issued"])
    receiver.answer(503, 502)
    apikey_issue(user=owner)

    assert wait_until(lambda: LifecycleDelivery.objects.filter(state="delivered").exists())
    delivery = LifecycleDelivery.objects.get()
    assert delivery.attempts == 3
    assert len(receiver.requests) == 3
    assert {r.headers["x-keyservice-delivery"] for r in receiver.requests} == {delivery.public_id}
    assert len({r.body for r in receiver.requests}) == 1
    assert all(
        signature_verify(secret=secret, header=r.headers["x-keyservice-signature"], body=r.body)
        for r in receiver.requests
    )


def test_the_raw_broker_message_carries_only_the_delivery_id(
    receiver, owner, celery_broker, broker_queue, settings
):
    settings.KEYSERVICE_WEBHOOKS_QUEUE = broker_queue
    _, secret = make_subscriber(receiver, events=["key.issued"])
    issued = apikey_issue(user=owner)  # no worker: the messages stay in the queue
    delivery = LifecycleDelivery.objects.get()
    client = redis.Redis.from_url(celery_broker)
    try:
        raws = client.lrange(broker_queue, 0, -1)
    finally:
        client.delete(broker_queue)
    [raw] = [r for r in raws if b"lifecycle.tasks.lifecycle_send" in r]
    body = base64.b64decode(json.loads(raw)["body"])
    assert json.loads(body)[0] == [delivery.pk]
    for secret_value in (secret, issued.plaintext, issued.api_key.hint, owner.public_id):
        assert secret_value.encode() not in raw and secret_value.encode() not in body


def test_lifecycle_deliveries_ride_the_webhooks_queue_and_the_sweep_does_not():
    from lifecycle.tasks import lifecycle_send, lifecycle_sweep

    def routed_queue(task) -> str:
        return task.app.amqp.router.route({}, task.name)["queue"].name

    assert routed_queue(lifecycle_send) == "webhooks"
    assert routed_queue(lifecycle_sweep) != "webhooks"


def test_beat_sweeps_lifecycle_deliveries_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["lifecycle-sweep"]
    assert entry["task"] == "lifecycle.tasks.lifecycle_sweep"
    assert entry["schedule"].total_seconds() == 60
