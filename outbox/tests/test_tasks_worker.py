"""Key emails through a real Celery worker, a real Redis broker and a real SMTP server."""

import base64
import json

import redis

from apikeys.models import KeyEvent
from apikeys.services import apikey_issue
from outbox.models import OutboxEmail
from outbox.services import outbox_sweep
from tests.support.outbox import key_emails
from tests.support.services import RedisServer, use_broker
from tests.support.waiting import wait_until


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_real_worker_emails_the_new_key_through_smtp(
    owner, celery_broker, broker_queue, start_worker, smtp
):
    start_worker(celery_broker, broker_queue)
    issued = apikey_issue(user=owner, actor=owner)

    [message] = smtp.wait_for_messages(1)
    assert message["To"] == owner.email
    assert message["Subject"] == "Your new keyservice API key"
    assert issued.plaintext in body_text(message)
    row = key_emails(issued.api_key).get()
    assert wait_until(lambda: OutboxEmail.objects.get(pk=row.pk).state == "sent")
    assert KeyEvent.objects.filter(key=issued.api_key, kind="emailed").count() == 1


def test_the_raw_broker_message_carries_only_the_outbox_row_id(owner, celery_broker, broker_queue):
    issued = apikey_issue(user=owner)  # no worker consumes this queue: the message stays
    client = redis.Redis.from_url(celery_broker)
    try:
        raw_messages = client.lrange(broker_queue, 0, -1)
    finally:
        client.delete(broker_queue)
    assert len(raw_messages) == 1
    raw = raw_messages[0]
    envelope = json.loads(raw)
    body = base64.b64decode(envelope["body"])
    row = key_emails(issued.api_key).get()
    assert json.loads(body)[0] == [row.pk]
    for secret in (issued.plaintext, issued.api_key.ciphertext, issued.api_key.digest):
        assert secret.encode() not in raw
        assert secret.encode() not in body


def test_a_key_rotated_before_its_email_is_sent_is_never_emailed(
    owner, celery_broker, broker_queue, start_worker, smtp
):
    first = apikey_issue(user=owner)
    second = apikey_issue(user=owner)
    start_worker(celery_broker, broker_queue)

    assert wait_until(lambda: OutboxEmail.objects.filter(state="pending").count() == 0)
    messages = smtp.wait_for_messages(1)
    assert len(messages) == 1
    assert second.plaintext in body_text(messages[0])
    assert first.plaintext not in body_text(messages[0])
    assert key_emails(first.api_key).get().state == "skipped"


def test_with_the_broker_down_the_key_is_issued_and_emailed_once_the_broker_is_back(
    client, owner, postgres, broker_queue, start_worker, smtp
):
    broker = RedisServer()
    use_broker(broker.url, broker_queue)  # nothing listens there yet: the broker is down
    try:
        client.force_login(owner)
        page = client.get("/keys/request/")
        response = client.post("/keys/request/", {"nonce": page.context["nonce"]})
        assert response.status_code == 200
        key = response.context["api_key"]
        row = OutboxEmail.objects.get()
        assert (row.state, row.due_at) == ("pending", None)

        broker.start()
        start_worker(broker.url, broker_queue)
        assert outbox_sweep() == 1
        [message] = smtp.wait_for_messages(1)
        assert key in body_text(message)
        assert wait_until(lambda: OutboxEmail.objects.get(pk=row.pk).state == "sent")
        assert outbox_sweep() == 0
    finally:
        use_broker(None)
        broker.stop()


def test_an_smtp_server_refusing_mail_is_retried_until_it_accepts(
    owner, celery_broker, broker_queue, start_worker, smtp
):
    smtp.handler.refuse_next = 2
    start_worker(celery_broker, broker_queue, KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS=0.2)
    issued = apikey_issue(user=owner)

    [message] = smtp.wait_for_messages(1)
    assert issued.plaintext in body_text(message)
    assert smtp.handler.refused == 2
    row = key_emails(issued.api_key).get()
    assert wait_until(lambda: OutboxEmail.objects.get(pk=row.pk).state == "sent")
    row.refresh_from_db()
    assert row.attempts == 3


def test_after_the_last_retry_the_email_is_marked_failed_for_operators(
    owner, celery_broker, broker_queue, start_worker, smtp
):
    smtp.handler.refuse_next = 100
    start_worker(
        celery_broker,
        broker_queue,
        KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS=0.1,
        KEYSERVICE_OUTBOX_MAX_ATTEMPTS=3,
    )
    issued = apikey_issue(user=owner)

    assert wait_until(lambda: key_emails(issued.api_key).get().state == "failed")
    row = key_emails(issued.api_key).get()
    assert row.attempts == 3
    assert "451" in row.last_error
    assert smtp.messages == []
    assert KeyEvent.objects.filter(key=issued.api_key, kind="email_failed").exists()
