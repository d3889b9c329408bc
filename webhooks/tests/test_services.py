"""Webhooks against a real HTTP receiver (and, for retries, a real Celery worker and Redis)."""

import base64
import json
import time
from datetime import datetime

import pytest
import redis

from audit.services import SYSTEM
from core.errors import ApplicationError
from core.outbound import signature_header, signature_verify
from core.outbound.address_guard import address_is_forbidden
from projects.models import Project
from tests.support.services import free_port
from tests.support.waiting import wait_until
from tests.support.webhooks import webhook_set
from webhooks import WEBHOOK_EVENTS
from webhooks.configure import webhook_get_or_create, webhook_settings_update
from webhooks.events import PAYLOAD_KEYS, webhook_event_for_status
from webhooks.models import WebhookDelivery
from webhooks.refusals import WebhookRefusal
from webhooks.services import webhook_deliver, webhook_fire, webhook_sweep, webhook_test_send

UPLOAD = {
    "upload_id": "a" * 24,
    "file_url": "https://cdn.example.com/builds/showroom.zip",
    "status": "rejected",
    "objection": "textures missing",
}


@pytest.fixture
def allow_private(settings):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def hooked(showroom, receiver) -> Project:
    """The Showroom project, subscribed to every build event at the local receiver."""
    webhook_set(showroom, url=receiver.url(), events=list(WEBHOOK_EVENTS))
    return showroom


def fire_now(capture, project, event="build.rejected", **fields) -> WebhookDelivery | None:
    """Fire and run the on-commit enqueue (tasks run in-process, eagerly, in these tests)."""
    with capture(execute=True):
        delivery = webhook_fire(project=project, event=event, **fields)
    if delivery is not None:
        delivery.refresh_from_db()
    return delivery


def attempt_log(delivery) -> list[tuple]:
    return list(delivery.attempt_log.values_list("number", "status_code", "error"))


# --- Signing and payload ---------------------------------------------------------------------


def test_each_project_gets_its_own_random_signing_secret(showroom, configurator):
    secret = webhook_get_or_create(project=showroom).secret
    assert len(secret) == 64
    int(secret, 16)
    assert secret != webhook_get_or_create(project=configurator).secret


def test_a_delivery_is_signed_with_the_project_secret_and_carries_exactly_the_payload(
    hooked, receiver, allow_private, django_capture_on_commit_callbacks
):
    delivery = fire_now(django_capture_on_commit_callbacks, hooked, **UPLOAD)

    [request] = receiver.requests
    assert delivery.state == "delivered"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-keyservice-event"] == "build.rejected"
    assert request.headers["user-agent"] == "keyservice-webhooks/1"
    signature = request.headers["x-keyservice-signature"]
    assert signature_verify(secret=hooked.webhook.secret, header=signature, body=request.body)
    payload = json.loads(request.body)
    assert list(payload) == list(PAYLOAD_KEYS)
    assert request.body == json.dumps(payload, separators=(",", ":")).encode()
    timestamp = payload.pop("timestamp")
    assert payload == {
        "event": "build.rejected",
        "projectId": hooked.public_id,
        "uploadId": UPLOAD["upload_id"],
        "fileUrl": UPLOAD["file_url"],
        "status": "rejected",
        "objection": "textures missing",
    }
    assert timestamp.endswith("Z")
    assert abs(datetime.fromisoformat(timestamp).timestamp() - time.time()) < 60


def test_a_signature_fails_with_a_wrong_secret_a_tampered_body_or_a_stale_timestamp():
    body = b'{"event":"build.approved"}'
    header = signature_header(secret="s3cret", body=body)
    stale = signature_header(secret="s3cret", body=body, timestamp=int(time.time()) - 301)

    assert signature_verify(secret="s3cret", header=header, body=body)
    assert not signature_verify(secret="other", header=header, body=body)
    assert not signature_verify(secret="s3cret", header=header, body=body + b" ")
    assert not signature_verify(secret="s3cret", header=stale, body=body)
    assert signature_verify(secret="s3cret", header=stale, body=body, tolerance_seconds=600)
    for malformed in ("", "v1=abc", f"t={int(time.time())}", "t=x,v1=y", header.upper()):
        assert not signature_verify(secret="s3cret", header=malformed, body=body)


# --- Subscriptions and settings ----------------------------------------------------------


def test_an_event_the_project_did_not_subscribe_to_creates_nothing(
    hooked, receiver, allow_private, django_capture_on_commit_callbacks
):
    webhook_set(hooked, events=["build.approved"])
    assert fire_now(django_capture_on_commit_callbacks, hooked, "build.rejected") is None
    webhook_set(hooked, url="", events=list(WEBHOOK_EVENTS))
    assert fire_now(django_capture_on_commit_callbacks, hooked, "build.approved") is None

    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []
    with pytest.raises(ValueError):
        webhook_fire(project=hooked, event="build.exploded")


def test_webhook_settings_accept_only_http_urls_and_known_events(showroom):
    webhook_settings_update(
        actor=SYSTEM,
        project=showroom,
        url="https://hooks.example.com/k",
        events=["build.rejected", "build.uploaded"],
    )
    showroom.refresh_from_db()
    assert showroom.webhook.events == ["build.uploaded", "build.rejected"]
    with pytest.raises(ApplicationError) as refused:
        webhook_settings_update(actor=SYSTEM, project=showroom, url="ftp://example.com/", events=[])
    assert refused.value.reason is WebhookRefusal.INVALID_SETTINGS
    with pytest.raises(ApplicationError) as refused:
        webhook_settings_update(actor=SYSTEM, project=showroom, url="", events=["build.exploded"])
    assert set(refused.value.fields) == {"webhookEvents"}
    assert webhook_event_for_status("pending") == "build.uploaded"
    assert webhook_event_for_status("Downloading Files") == "build.downloading"
    assert webhook_event_for_status("Approved") == "build.approved"
    assert webhook_event_for_status("Reject") == "build.rejected"


# --- Retries and failures ------------------------------------------------------------------


def test_a_503_is_retried_and_every_attempt_is_recorded(
    hooked, receiver, allow_private, django_capture_on_commit_callbacks
):
    receiver.answer(503)
    delivery = fire_now(django_capture_on_commit_callbacks, hooked, **UPLOAD)
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("pending", 1, 503)
    assert delivery.due_at is not None

    assert webhook_deliver(delivery_id=delivery.pk).outcome == "delivered"
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "noop"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("delivered", 2, 200)
    assert delivery.delivered_at is not None
    assert attempt_log(delivery) == [(1, 503, "HTTP 503"), (2, 200, "")]
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_rate_limits_and_unavailable_gateways_are_retried(
    status, hooked, receiver, allow_private, django_capture_on_commit_callbacks
):
    receiver.answer(status)
    delivery = fire_now(django_capture_on_commit_callbacks, hooked)
    assert delivery.state == "pending"


# Any other answer may come from a receiver that processed the delivery (a 500 after the
# work was done, a 408 from a proxy that had passed it on): never retried.
@pytest.mark.parametrize("status", [400, 401, 404, 408, 410, 500, 501, 505])
def test_any_other_error_status_fails_at_once(
    status, hooked, receiver, allow_private, django_capture_on_commit_callbacks
):
    receiver.answer(status)
    delivery = fire_now(django_capture_on_commit_callbacks, hooked)
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", 1, status)
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "noop"
    assert len(receiver.requests) == 1


def test_after_the_last_attempt_the_delivery_is_marked_failed(
    settings, hooked, receiver, allow_private, django_capture_on_commit_callbacks
):
    settings.KEYSERVICE_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.default_status = 503
    delivery = fire_now(django_capture_on_commit_callbacks, hooked)
    outcomes = [webhook_deliver(delivery_id=delivery.pk).outcome for _ in range(3)]

    assert outcomes == ["retry", "failed", "noop"]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 503")
    assert [n for n, *_ in attempt_log(delivery)] == [1, 2, 3]


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    hooked, receiver, allow_private, django_capture_on_commit_callbacks
):
    receiver.answer(302)
    delivery = fire_now(django_capture_on_commit_callbacks, hooked)

    assert [r.path for r in receiver.requests] == ["/hooks/keyservice"]
    assert (delivery.state, delivery.status_code) == ("failed", 302)  # not retried either
    assert "redirect" in delivery.last_error and "not followed" in delivery.last_error


def test_a_delivery_that_never_reached_the_broker_is_sent_by_the_sweep(
    hooked, receiver, allow_private
):
    delivery = webhook_fire(project=hooked, event="build.approved")  # on_commit never runs
    assert webhook_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert webhook_sweep() == 0


def test_a_real_worker_retries_a_503_and_a_429_after_its_retry_after_with_one_id_and_body(
    hooked, receiver, settings, celery_broker, broker_queue, start_worker
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    settings.KEYSERVICE_WEBHOOKS_QUEUE = broker_queue  # deliveries have their own queue
    receiver.answer(503)
    receiver.answer(429, headers={"Retry-After": "2"})
    start_worker(
        celery_broker,
        broker_queue,
        KEYSERVICE_WEBHOOK_RETRY_BASE_SECONDS=0.2,
        KEYSERVICE_WEBHOOK_ALLOW_PRIVATE="true",
        KEYSERVICE_WEBHOOKS_QUEUE=broker_queue,
    )
    delivery = webhook_fire(project=hooked, event="build.approved", **UPLOAD)

    assert wait_until(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == "delivered")
    delivery.refresh_from_db()
    assert delivery.attempts == 3
    assert [status for _, status, _ in attempt_log(delivery)] == [503, 429, 200]
    assert len(receiver.requests) == 3
    # The Retry-After was honoured: the third attempt came at least 2 s after the second.
    second, third = delivery.attempt_log.order_by("number")[1:]
    assert (third.created_at - second.created_at).total_seconds() >= 2
    assert {r.headers["x-keyservice-delivery"] for r in receiver.requests} == {delivery.public_id}
    assert {r.body for r in receiver.requests} == {receiver.requests[0].body}
    for request in receiver.requests:
        header = request.headers["x-keyservice-signature"]
        assert signature_verify(secret=hooked.webhook.secret, header=header, body=request.body)


def test_the_raw_broker_message_carries_only_the_delivery_id(
    hooked, celery_broker, broker_queue, settings
):
    settings.KEYSERVICE_WEBHOOKS_QUEUE = broker_queue  # deliveries have their own queue
    delivery = webhook_fire(project=hooked, event="build.approved", **UPLOAD)  # no worker
    client = redis.Redis.from_url(celery_broker)
    try:
        [raw] = client.lrange(broker_queue, 0, -1)
    finally:
        client.delete(broker_queue)
    body = base64.b64decode(json.loads(raw)["body"])
    assert json.loads(body)[0] == [delivery.pk]
    for secret in (hooked.webhook.secret, UPLOAD["file_url"], hooked.webhook.url):
        assert secret.encode() not in raw and secret.encode() not in body


# --- SSRF guard -------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "localhost"])
def test_internal_addresses_are_refused_before_any_request(host, hooked, receiver):
    webhook_set(hooked, url=receiver.url(host=host))

    result = webhook_test_send(project=hooked)

    assert (result.success, result.status_code) == (False, 0)
    # One message whatever the address (and the same as for a name that does not resolve).
    assert result.message == "Refused: the host does not resolve to a public address"
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert attempt_log(delivery) == [(1, None, result.message)]


def test_a_fired_delivery_to_the_metadata_address_fails_at_once(
    hooked, django_capture_on_commit_callbacks
):
    webhook_set(hooked, url="http://169.254.169.254/latest/meta-data/")
    delivery = fire_now(django_capture_on_commit_callbacks, hooked)
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "Refused: the host does not resolve to a public address"


def test_only_http_and_https_urls_are_called(hooked, allow_private):
    webhook_set(hooked, url="file:///etc/passwd")
    result = webhook_test_send(project=hooked)
    assert (result.success, result.status_code) == (False, 0)
    assert result.message == "Refused: Enter a URL that starts with http:// or https://."


NON_PUBLIC = [
    "0.0.0.0",  # noqa: S104  (unspecified, not a bind)
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "172.16.5.4",
    "192.168.1.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "fd00::1",  # unique-local
    "fe80::1",
    "fec0::1",  # site-local
    "ff02::1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
    "2002:a9fe:a9fe::1",  # 6to4 of the metadata address
]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses_are_forbidden(address):
    assert address_is_forbidden(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert not address_is_forbidden(address)


def test_plain_http_connects_to_the_checked_address_and_keeps_the_host_header(
    hooked, receiver, allow_private
):
    webhook_set(hooked, url=receiver.url(host="localhost"))
    assert webhook_test_send(project=hooked).success
    assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"


# --- Test-send ----------------------------------------------------------------------------


def test_the_test_webhook_is_sent_whatever_the_subscription(hooked, receiver, allow_private):
    webhook_set(hooked, events=[])
    result = webhook_test_send(project=hooked)

    assert (result.success, result.message, result.status_code) == (
        True,
        "Test webhook delivered",
        200,
    )
    [request] = receiver.requests
    assert request.headers["x-keyservice-event"] == "webhook.test"
    payload = json.loads(request.body)
    assert payload["event"] == "webhook.test"
    assert [payload[k] for k in ("uploadId", "fileUrl", "status", "objection")] == [None] * 4
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.state, delivery.attempts) == ("webhook.test", "delivered", 1)


def test_the_test_webhook_reports_a_failing_endpoint_without_retrying(
    hooked, receiver, allow_private
):
    receiver.answer(500)
    result = webhook_test_send(project=hooked)
    assert (result.success, result.message, result.status_code) == (
        False,
        "Webhook endpoint returned non-2xx status",
        500,
    )
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().state == "failed"


def test_the_test_webhook_to_a_closed_port_reports_status_0(hooked, allow_private):
    webhook_set(hooked, url=f"http://127.0.0.1:{free_port()}/hook")
    result = webhook_test_send(project=hooked)
    assert (result.success, result.status_code) == (False, 0)
    assert result.message == "Could not connect: Connection refused"


def test_the_test_webhook_gives_up_after_the_timeout(settings, hooked, receiver, allow_private):
    settings.KEYSERVICE_WEBHOOK_TIMEOUT = 0.3
    receiver.delay_seconds = 2
    result = webhook_test_send(project=hooked)
    assert (result.success, result.status_code) == (False, 0)
    assert result.message == "No answer: timed out after 0.3 s"  # it was sent, then no answer


def test_the_test_webhook_needs_a_configured_url(showroom):
    with pytest.raises(ApplicationError, match="No webhook URL configured") as refused:
        webhook_test_send(project=showroom)
    assert refused.value.reason is WebhookRefusal.NOT_CONFIGURED
