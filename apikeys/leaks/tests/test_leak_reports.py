"""Public leak reports wait in the broker's Redis and are revoked in bounded batches by one
drain at a time, on their own queue (apikeys.leaks.reports, apikeys.leaks.routing): a real Redis
broker, no worker (the drain is called in this process where a test needs one)."""

from __future__ import annotations

import json

import redis

from apikeys import crypto
from apikeys.leaks.reports import leak_report_enqueue, leak_reports_buffer, leak_reports_drain
from apikeys.models import KeyEvent
from apikeys.services import apikey_issue
from apikeys.tasks import (
    leak_report_process,
    leak_reports_drain_task,
    leak_reports_sweep_task,
)
from apikeys.verifier.credentials import apikey_verify
from outbox.tasks import outbox_send

REPORTER = "the public revocation endpoint (client 203.0.113.7)"


def routed_queue(task) -> str:
    return task.app.amqp.router.route({}, task.name)["queue"].name


def queued(broker_url: str, queue: str) -> int:
    client = redis.Redis.from_url(broker_url)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def report(*strings: str, by: str = REPORTER) -> None:
    leak_report_enqueue(strings=list(strings), reported_by=by)


def test_the_drain_runs_on_the_leak_reports_queue_and_key_emails_do_not(settings):
    settings.KEYSERVICE_LEAK_REPORTS_QUEUE = "reports-elsewhere"

    assert routed_queue(leak_reports_drain_task) == "reports-elsewhere"
    assert routed_queue(leak_report_process) == "reports-elsewhere"
    assert routed_queue(outbox_send) != "reports-elsewhere"
    assert routed_queue(leak_reports_sweep_task) != "reports-elsewhere"  # only schedules: quick


def test_a_thousand_reports_wait_in_redis_behind_one_queued_drain_message(
    celery_broker, broker_queue, settings
):
    for n in range(1000):
        report(crypto.generate_key(), f"string {n}")

    assert leak_reports_buffer().waiting() == 1000
    assert queued(celery_broker, settings.KEYSERVICE_LEAK_REPORTS_QUEUE) == 1
    assert queued(celery_broker, broker_queue) == 0  # nothing in front of key emails


def test_a_drain_revokes_one_batch_in_one_transaction_and_asks_for_the_next(
    celery_broker, owner, outsider, settings
):
    settings.KEYSERVICE_LEAK_REPORTS_BATCH = 3
    mine, theirs = apikey_issue(user=owner), apikey_issue(user=outsider)
    report(mine.plaintext, "noise")
    report(crypto.generate_key(), by="the public revocation endpoint (client 198.51.100.9)")
    report(theirs.plaintext, mine.plaintext)  # mine twice: revoked once, first reporter named
    report("the fourth report")

    first = leak_reports_drain()
    second = leak_reports_drain()

    assert (first.reports, first.revoked, first.more) == (3, 2, True)
    assert (second.reports, second.revoked, second.more) == (1, 0, False)
    assert not apikey_verify(key=mine.plaintext, user_public_id=owner.public_id).ok
    assert not apikey_verify(key=theirs.plaintext, user_public_id=outsider.public_id).ok
    events = KeyEvent.objects.filter(kind=KeyEvent.Kind.LEAK_REVOKED)
    assert sorted(e.detail for e in events) == [f"reported leaked by {REPORTER}"] * 2
    assert leak_reports_buffer().waiting() == 0


def test_what_waits_in_redis_holds_digests_never_the_reported_strings(celery_broker, owner):
    issued = apikey_issue(user=owner)
    report(issued.plaintext, "a string someone found")

    buffer = leak_reports_buffer()
    stored = buffer.client.lrange(buffer.keys[0], 0, -1)

    assert [json.loads(item)["digests"] for item in stored] == [
        sorted({crypto.digest(issued.plaintext), crypto.digest("a string someone found")})
    ]
    assert issued.plaintext.encode() not in b"".join(stored)


def test_past_the_pending_maximum_a_report_is_a_503_and_is_not_stored(
    client, celery_broker, settings
):
    settings.KEYSERVICE_LEAK_REPORTS_PENDING_MAX = 2
    body = json.dumps({"keys": ["found"]})

    answers = [
        client.post(
            "/pixelStripeApi/keys/revoke",
            body,
            content_type="application/json",
            secure=True,
            REMOTE_ADDR=f"203.0.113.{n}",
        )
        for n in range(1, 4)
    ]

    assert [a.status_code for a in answers] == [202, 202, 503]
    assert answers[2].json() == {"message": "Service unavailable, try again later"}
    assert leak_reports_buffer().waiting() == 2


def test_the_sweep_queues_a_drain_only_for_reports_left_without_one(celery_broker, settings):
    queue = settings.KEYSERVICE_LEAK_REPORTS_QUEUE
    report("found")
    assert leak_reports_sweep_task() is False  # a drain is queued already
    buffer = leak_reports_buffer()
    buffer.client.delete(queue)  # the drain message is lost ...
    buffer.client.delete(buffer.keys[2])  # ... and its flag expired

    assert leak_reports_sweep_task() is True
    assert queued(celery_broker, queue) == 1
    assert leak_reports_sweep_task() is False
