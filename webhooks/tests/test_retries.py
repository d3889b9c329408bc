"""Retries that never surprise a receiver, against real local receivers: one delivery id and
one body on every attempt, a retry only when the receiver cannot have processed the attempt
(nothing sent; 429, 502, 503, 504, after their Retry-After), and none when a project turns
retries off."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from audit.services import SYSTEM
from core.ids import is_public_id
from core.outbound import PUBLIC_ONLY, AttemptKind, post, retry_after_parse, signature_verify
from core.outbound.tests.conftest import PUBLIC_NAME
from core.outbound.tests.servers import ResettingReceiver, TlsReceiver, tls_files
from projects.models import Project
from tests.support.receiver import WebhookReceiver
from tests.support.services import free_port
from tests.support.webhooks import webhook_set
from webhooks import WEBHOOK_EVENTS
from webhooks.configure import webhook_settings_update
from webhooks.models import WebhookDelivery
from webhooks.services import (
    RETRY_AFTER_MAX_SECONDS,
    webhook_deliver,
    webhook_fire,
    webhook_test_send,
)


@pytest.fixture
def hooked(showroom, receiver, settings) -> Project:
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    webhook_set(showroom, url=receiver.url(), events=list(WEBHOOK_EVENTS))
    return showroom


def fired(project: Project, event: str = "build.approved") -> WebhookDelivery:
    """A pending delivery whose enqueue never ran: each webhook_deliver is one attempt."""
    delivery = webhook_fire(project=project, event=event, upload_id="a" * 24)
    assert delivery is not None
    return delivery


def state(delivery: WebhookDelivery) -> tuple[str, int, str]:
    delivery.refresh_from_db()
    return delivery.state, delivery.attempts, delivery.last_error


# --- The same delivery id and body on every attempt --------------------------------------------


def test_every_attempt_carries_the_same_delivery_id_and_byte_identical_body(
    hooked, receiver, monkeypatch
):
    receiver.answer(503, 502)
    delivery = fired(hooked)
    clock = time.time()
    for step in range(3):
        # Each attempt a minute later: the body keeps its stored timestamp, the signature's is new.
        monkeypatch.setattr(time, "time", lambda step=step: clock + 60 * step)
        webhook_deliver(delivery_id=delivery.pk)

    assert state(delivery)[:2] == ("delivered", 3)
    assert is_public_id(delivery.public_id)
    ids = [r.headers["x-keyservice-delivery"] for r in receiver.requests]
    assert ids == [delivery.public_id] * 3
    bodies = {r.body for r in receiver.requests}
    assert len(bodies) == 1
    assert f'"timestamp":"{delivery.payload["timestamp"]}"'.encode() in bodies.pop()
    signatures = [r.headers["x-keyservice-signature"] for r in receiver.requests]
    times = [int(re.match(r"t=(\d+),", s).group(1)) for s in signatures]
    assert times == [int(clock), int(clock) + 60, int(clock) + 120]
    for request, t in zip(receiver.requests, times, strict=True):
        header = request.headers["x-keyservice-signature"]
        assert signature_verify(
            secret=hooked.webhook.secret, header=header, body=request.body, now=t
        )


def test_each_delivery_and_each_test_send_has_an_id_of_its_own(hooked, receiver):
    first, second = fired(hooked), fired(hooked, "build.rejected")
    webhook_deliver(delivery_id=first.pk)
    webhook_deliver(delivery_id=second.pk)
    assert webhook_test_send(project=hooked).success

    ids = [r.headers["x-keyservice-delivery"] for r in receiver.requests]
    test_id = WebhookDelivery.objects.get(event="webhook.test").public_id
    assert ids == [first.public_id, second.public_id, test_id]
    assert len(set(ids)) == 3


# --- Retried: the receiver cannot have processed it --------------------------------------------


def test_a_refused_connection_is_retried_and_reaches_the_receiver_once_it_listens(
    showroom, settings
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    port = free_port()
    webhook_set(showroom, url=f"http://127.0.0.1:{port}/hook", events=["build.approved"])
    delivery = fired(showroom)

    assert webhook_deliver(delivery_id=delivery.pk).outcome == "retry"
    assert state(delivery) == ("pending", 1, "Could not connect: Connection refused")
    late = WebhookReceiver(port=port)
    late.start()
    try:
        assert webhook_deliver(delivery_id=delivery.pk).outcome == "delivered"
    finally:
        late.stop()
    [request] = late.requests
    assert request.headers["x-keyservice-delivery"] == delivery.public_id


def test_a_connection_reset_during_the_tls_handshake_is_retried(public_loopback):
    with ResettingReceiver(read_request=False) as server:
        result = post(
            url=f"https://{PUBLIC_NAME}:{server.port}/hook",
            body=b"{}",
            headers={},
            timeout=5,
            policy=PUBLIC_ONLY,
        )
    assert result.kind is AttemptKind.CONNECTION, result.error
    assert result.error.startswith("Could not connect: ")
    assert result.retryable
    assert server.accepted == 1 and server.requests == []


def test_a_failed_certificate_check_is_retried_and_sends_nothing(tmp_path, public_loopback):
    ca, cert, key = tls_files(tmp_path, "other.example.test")
    with TlsReceiver(cert, key) as server:
        result = post(
            url=f"https://{PUBLIC_NAME}:{server.port}/hook",
            body=b"{}",
            headers={},
            timeout=5,
            policy=PUBLIC_ONLY,
            ca_certs=str(ca),
        )
    assert (result.kind, result.retryable) == (AttemptKind.CONNECTION, True)
    assert server.requests == []


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_in_seconds_is_honoured(status, hooked, receiver):
    receiver.answer(status, headers={"Retry-After": "7"})
    delivery = fired(hooked)
    before = timezone.now()

    outcome = webhook_deliver(delivery_id=delivery.pk)

    assert (outcome.outcome, outcome.retry_in) == ("retry", 7.0)
    delivery.refresh_from_db()
    assert abs((delivery.due_at - before).total_seconds() - 7) < 2


def test_a_retry_after_as_an_http_date_is_honoured_and_a_long_one_is_capped(hooked, receiver):
    in_90_s = format_datetime(timezone.now() + timedelta(seconds=90), usegmt=True)
    receiver.answer(429, headers={"Retry-After": in_90_s})
    receiver.answer(429, headers={"Retry-After": str(10 * 24 * 3600)})  # ten days
    delivery = fired(hooked)

    first = webhook_deliver(delivery_id=delivery.pk)
    assert first.outcome == "retry" and 85 <= first.retry_in <= 91
    second = webhook_deliver(delivery_id=delivery.pk)
    assert (second.outcome, second.retry_in) == ("retry", RETRY_AFTER_MAX_SECONDS)
    assert state(delivery)[:2] == ("pending", 2)


def test_a_429_without_a_usable_retry_after_is_retried_with_the_backoff(hooked, receiver, settings):
    settings.KEYSERVICE_WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver.answer(429, headers={"Retry-After": "soon"})
    outcome = webhook_deliver(delivery_id=fired(hooked).pk)
    assert outcome.outcome == "retry" and 24 <= outcome.retry_in <= 36


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
        ("Wed, 21 Oct 2015 07:30:00 GMT", 120.0),
        ("-5", None),
        ("1.5", None),
        ("٣", None),  # a digit, but not an ASCII one
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value, seconds):
    now = 1445412480.0  # 2015-10-21 07:28:00 UTC
    assert retry_after_parse(value, now=now) == seconds


# --- Never retried: the receiver may have processed it -----------------------------------------


def test_no_retry_once_the_request_was_sent_and_the_receiver_timed_out(hooked, receiver, settings):
    settings.KEYSERVICE_WEBHOOK_TIMEOUT = 0.3
    receiver.delay_seconds = 1.5  # reads the whole request, answers too late
    delivery = fired(hooked)

    assert webhook_deliver(delivery_id=delivery.pk).outcome == "failed"
    assert state(delivery) == ("failed", 1, "No answer: timed out after 0.3 s")
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "noop"
    time.sleep(1.5)
    assert len(receiver.requests) == 1


def test_no_retry_when_the_receiver_read_the_request_and_reset_the_connection(showroom, settings):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    with ResettingReceiver(read_request=True) as server:
        webhook_set(showroom, url=f"http://127.0.0.1:{server.port}/hook", events=["build.approved"])
        delivery = fired(showroom)
        assert webhook_deliver(delivery_id=delivery.pk).outcome == "failed"
        assert webhook_deliver(delivery_id=delivery.pk).outcome == "noop"
    delivery_state, attempts, error = state(delivery)
    assert (delivery_state, attempts) == ("failed", 1)
    assert error.startswith("No answer: ")
    [raw] = server.requests
    assert f"X-Keyservice-Delivery: {delivery.public_id}".encode() in raw


# --- Retries off: exactly one attempt ------------------------------------------------------------


@pytest.mark.parametrize("answer", [503, 429, "refused"])
def test_with_retries_off_a_delivery_gets_exactly_one_attempt(answer, hooked, receiver):
    webhook_set(hooked, retries=False)
    if answer == "refused":
        webhook_set(hooked, url=f"http://127.0.0.1:{free_port()}/hook")
    else:
        receiver.answer(answer, headers={"Retry-After": "1"})
    delivery = fired(hooked)

    assert webhook_deliver(delivery_id=delivery.pk).outcome == "failed"
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "noop"
    assert state(delivery)[:2] == ("failed", 1)
    assert len(receiver.requests) == (0 if answer == "refused" else 1)


def test_retries_are_on_by_default_and_the_settings_service_turns_them_off_and_on(showroom):
    url, events = "https://hooks.example.com/k", ["build.approved"]
    assert (
        webhook_settings_update(actor=SYSTEM, project=showroom, url=url, events=events).retries
        is True
    )
    assert webhook_settings_update(
        actor=SYSTEM, project=showroom, url=url, events=events, retries=False
    )
    showroom.webhook.refresh_from_db()
    assert showroom.webhook.retries is False
    webhook_settings_update(
        actor=SYSTEM, project=showroom, url=url, events=events
    )  # None: unchanged
    showroom.webhook.refresh_from_db()
    assert showroom.webhook.retries is False
    webhook_settings_update(actor=SYSTEM, project=showroom, url=url, events=events, retries=True)
    showroom.webhook.refresh_from_db()
    assert showroom.webhook.retries is True
