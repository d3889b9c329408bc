"""Deliveries against a real HTTP receiver on 127.0.0.1: signed like webhooks, retried with one
delivery id and body, and the SSRF guard with the subscriber's own allow-list."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import CommandError, call_command

from apikeys.services import apikey_issue
from core.errors import ApplicationError
from core.outbound import signature_verify
from lifecycle.delivery import lifecycle_deliver, lifecycle_sweep
from lifecycle.models import LifecycleDelivery, Subscriber
from lifecycle.services import subscriber_create
from lifecycle.tests.conftest import make_subscriber, received

pytestmark = pytest.mark.django_db
NOT_PUBLIC = "Refused: the host does not resolve to a public address"


def issue_and_send(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        issued = apikey_issue(user=owner)
    return issued


def test_a_committed_event_reaches_the_subscriber_signed_with_its_secret(
    receiver, owner, django_capture_on_commit_callbacks
):
    _, secret = make_subscriber(receiver)
    issued = issue_and_send(owner, django_capture_on_commit_callbacks)

    [request] = receiver.requests
    delivery = LifecycleDelivery.objects.get()
    assert delivery.state == "delivered"
    assert request.headers["x-keyservice-event"] == "key.issued"
    assert request.headers["x-keyservice-delivery"] == delivery.public_id
    assert request.headers["content-type"] == "application/json"
    assert signature_verify(
        secret=secret, header=request.headers["x-keyservice-signature"], body=request.body
    )
    assert not signature_verify(
        secret="0" * 64, header=request.headers["x-keyservice-signature"], body=request.body
    )
    body = json.loads(request.body)
    assert body["data"] == {"userId": owner.public_id, "keyHint": issued.api_key.hint}
    assert issued.plaintext.encode() not in request.body
    assert secret.encode() not in request.body


def test_a_503_is_retried_with_the_same_delivery_id_and_body_and_a_fresh_signature(
    receiver, owner, settings, django_capture_on_commit_callbacks
):
    _, secret = make_subscriber(receiver, events=["key.issued"])
    receiver.answer(503, 500)
    issue_and_send(owner, django_capture_on_commit_callbacks)  # eager: the first attempt
    delivery = LifecycleDelivery.objects.get()
    assert lifecycle_deliver(delivery_id=delivery.pk) is not None  # 500: retried as well
    assert lifecycle_deliver(delivery_id=delivery.pk) is None  # 200
    assert lifecycle_deliver(delivery_id=delivery.pk) is None  # settled: nothing sent

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 3)
    assert len(receiver.requests) == 3
    assert {r.headers["x-keyservice-delivery"] for r in receiver.requests} == {delivery.public_id}
    assert len({r.body for r in receiver.requests}) == 1
    for request in receiver.requests:
        header = request.headers["x-keyservice-signature"]
        assert signature_verify(secret=secret, header=header, body=request.body)


def test_a_4xx_is_final_and_a_429_is_not(receiver, owner, django_capture_on_commit_callbacks):
    make_subscriber(receiver, events=["key.issued"])
    receiver.answer(429, 400)
    issue_and_send(owner, django_capture_on_commit_callbacks)
    delivery = LifecycleDelivery.objects.get()
    assert delivery.state == "pending"
    assert lifecycle_deliver(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", 2, 400)


def test_attempts_stop_at_the_limit(receiver, owner, settings, django_capture_on_commit_callbacks):
    settings.KEYSERVICE_LIFECYCLE_MAX_ATTEMPTS = 2
    make_subscriber(receiver, events=["key.issued"])
    receiver.answer(503, 503, 503)
    issue_and_send(owner, django_capture_on_commit_callbacks)
    delivery = LifecycleDelivery.objects.get()
    assert lifecycle_deliver(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 2)


def test_a_delivery_whose_enqueue_was_lost_is_sent_by_the_sweep(receiver, owner):
    make_subscriber(receiver, events=["key.issued"])
    apikey_issue(user=owner)  # on_commit never runs in this test's transaction
    assert receiver.requests == []
    assert lifecycle_sweep() == 1
    assert len(receiver.requests) == 1
    assert LifecycleDelivery.objects.get().state == "delivered"
    assert lifecycle_sweep() == 0


# --- SSRF: private addresses only through the subscriber's allow-list -------------------------


@pytest.mark.parametrize("networks", [(), ("10.0.0.0/8",), ("192.168.0.0/16", "fd00::/8")])
def test_a_loopback_receiver_outside_the_allow_list_is_refused_before_any_request(
    receiver, owner, networks, django_capture_on_commit_callbacks
):
    # Registered by name (a literal private IP outside the list is refused at registration):
    # the name resolves to 127.0.0.1 at send time and is refused then, like a name that does
    # not resolve (retried later: a name's addresses may change), with nothing sent.
    subscriber = Subscriber.objects.create(
        name="n",
        url=receiver.url(host="localhost"),
        events=["key.issued"],
        allowed_networks=list(networks),
    )
    issue_and_send(owner, django_capture_on_commit_callbacks)
    delivery = LifecycleDelivery.objects.get(subscriber=subscriber)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("pending", 1, NOT_PUBLIC)
    assert lifecycle_deliver(delivery_id=delivery.pk) is not None
    assert receiver.requests == []


def test_a_name_resolving_into_the_allow_list_is_reached(
    receiver, owner, django_capture_on_commit_callbacks
):
    Subscriber.objects.create(
        name="n",
        url=receiver.url(host="localhost"),
        events=["key.issued"],
        allowed_networks=["127.0.0.0/8", "::1/128"],
    )
    issue_and_send(owner, django_capture_on_commit_callbacks)
    assert LifecycleDelivery.objects.get().state == "delivered"
    assert len(receiver.requests) == 1


def test_the_global_private_switch_does_not_open_private_addresses_to_subscribers(
    receiver, owner, settings, django_capture_on_commit_callbacks
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True  # customer webhooks only
    Subscriber.objects.create(name="n", url=receiver.url(), events=["key.issued"])
    issue_and_send(owner, django_capture_on_commit_callbacks)
    assert LifecycleDelivery.objects.get().state == "failed"
    assert receiver.requests == []


def test_a_hand_edited_allow_list_is_never_widened(
    receiver, owner, django_capture_on_commit_callbacks
):
    Subscriber.objects.create(
        name="n", url=receiver.url(), events=["key.issued"], allowed_networks=["0.0.0.0/0"]
    )
    issue_and_send(owner, django_capture_on_commit_callbacks)
    delivery = LifecycleDelivery.objects.get()
    assert delivery.state == "failed" and delivery.last_error.startswith("Refused: allow-list")
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "networks", "field"),
    [
        ("http://127.0.0.1:9/x", [], "url"),  # a literal private IP, not allow-listed
        ("http://10.1.2.3/x", ["192.168.0.0/16"], "url"),
        ("http://169.254.169.254/latest/meta-data/", ["10.0.0.0/8"], "url"),
        ("file:///etc/passwd", [], "url"),
        ("http://user@10.0.0.1/", ["10.0.0.0/8"], "url"),
        ("http://10.0.0.1/", ["169.254.0.0/16"], "allowedNetworks"),
        ("http://10.0.0.1/", ["0.0.0.0/0"], "allowedNetworks"),
    ],
)
def test_registration_refuses_unreachable_urls_and_unsafe_allow_lists(db, url, networks, field):
    with pytest.raises(ApplicationError) as refused:
        subscriber_create(name="s", url=url, events=["key.issued"], allowed_networks=networks)
    assert field in refused.value.fields
    assert not Subscriber.objects.exists()


def test_registration_refuses_unknown_events(db):
    with pytest.raises(ApplicationError) as refused:
        subscriber_create(name="s", url="https://hooks.example.com/", events=["key.leaked"])
    assert "events" in refused.value.fields


# --- The command and the admin show the secret once, and never again --------------------------


def test_the_command_registers_and_prints_the_secret_once_on_stdout(db, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    call_command(
        "subscriber_add",
        "--name=verify-cache",
        "--url=http://10.20.0.5:8080/events",
        "--events=key.revoked,user.deactivated",
        "--allow-private=10.20.0.0/16",
    )
    out, err = capsys.readouterr()
    subscriber = Subscriber.objects.get()
    assert out.strip() == subscriber.secret
    assert subscriber.secret not in err and subscriber.secret not in caplog.text
    assert subscriber.events == ["key.revoked", "user.deactivated"]
    assert subscriber.allowed_networks == ["10.20.0.0/16"]


def test_the_command_refuses_a_private_url_without_an_allow_list(db):
    with pytest.raises(CommandError, match="public addresses"):
        call_command("subscriber_add", "--name=x", "--url=http://10.0.0.5/", "--events=all")
    assert not Subscriber.objects.exists()


def test_the_admin_shows_the_secret_once_after_adding_and_never_in_its_pages(db, client):
    from accounts.models import User

    root = User.objects.create_superuser("root@example.com", "Root-pass-123")
    client.force_login(root)
    response = client.post(
        "/admin/lifecycle/subscriber/add/",
        {
            "name": "verify-cache",
            "url": "http://10.20.0.5:8080/events",
            "event_choices": ["key.revoked", "membership.changed"],
            "networks_text": "10.20.0.0/16\n",
            "active": "on",
        },
    )
    subscriber = Subscriber.objects.get()
    assert response.status_code == 200 and subscriber.secret.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    for page in (
        "/admin/lifecycle/subscriber/",
        f"/admin/lifecycle/subscriber/{subscriber.pk}/change/",
    ):
        shown = client.get(page)
        assert shown.status_code == 200
        assert subscriber.secret.encode() not in shown.content
    assert subscriber.allowed_networks == ["10.20.0.0/16"]


def test_no_key_and_no_secret_reaches_a_log_line_a_payload_or_a_body(
    receiver, owner, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    _, secret = make_subscriber(receiver)
    receiver.answer(503)
    with django_capture_on_commit_callbacks(execute=True):
        first = apikey_issue(user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        second = apikey_issue(user=owner)
    lifecycle_sweep()
    rows = list(LifecycleDelivery.objects.all())
    assert {r.event for r in rows} == {"key.issued", "key.revoked"}
    for value in (first.plaintext, second.plaintext, secret):
        assert value not in caplog.text
        assert all(value not in json.dumps(r.payload) for r in rows)
        assert all(value.encode() not in r.body for r in receiver.requests)
    assert received(receiver)  # something was sent and looked at
