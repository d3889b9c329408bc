"""A secret rotation drops no delivery in flight: for KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS
every attempt is signed with the new and the previous secret (two `v1`), so a receiver holding
either verifies it; after the window only the new one signs, and the previous one is dropped.
Against a real local receiver."""

from __future__ import annotations

import re
import time

import pytest

from audit.models import AuditEvent
from audit.services import SYSTEM
from core.outbound import signature_header, signature_verify
from projects.models import Project
from tests.support.webhooks import webhook_set
from webhooks import WEBHOOK_EVENTS
from webhooks.configure import webhook_secret_rotate
from webhooks.models import Webhook, WebhookDelivery
from webhooks.services import webhook_deliver, webhook_fire, webhook_test_send
from webhooks.tasks import webhook_sweep

V1 = re.compile(r"v1=([0-9a-f]{64})")


@pytest.fixture
def hooked(showroom, receiver, settings) -> Project:
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    webhook_set(showroom, url=receiver.url(), events=list(WEBHOOK_EVENTS))
    return showroom


def fired(project: Project) -> WebhookDelivery:
    delivery = webhook_fire(project=project, event="build.approved", upload_id="a" * 24)
    assert delivery is not None
    return delivery


def secret_of(project: Project) -> str:
    return Webhook.objects.get(project=project).secret


def verifies(request, secret: str) -> bool:
    return signature_verify(
        secret=secret, header=request.headers["x-keyservice-signature"], body=request.body
    )


def test_a_delivery_retried_after_a_rotation_is_signed_with_both_secrets_and_verifies_with_either(
    hooked, receiver
):
    old = secret_of(hooked)
    receiver.answer(503)  # the first attempt is retried
    delivery = fired(hooked)
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "retry"

    new = webhook_secret_rotate(project=hooked, actor=SYSTEM)
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "delivered"

    first, retried = receiver.requests
    assert len(V1.findall(first.headers["x-keyservice-signature"])) == 1
    assert verifies(first, old) and not verifies(first, new)
    assert len(V1.findall(retried.headers["x-keyservice-signature"])) == 2
    assert verifies(retried, old) and verifies(retried, new)
    assert not verifies(retried, "0" * 64)


def test_after_the_overlap_only_the_new_secret_signs_and_the_sweep_drops_the_previous(
    hooked, receiver, settings
):
    settings.KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS = 1
    old = secret_of(hooked)
    new = webhook_secret_rotate(project=hooked, actor=SYSTEM)
    assert Webhook.objects.get(project=hooked).previous_secret == old
    time.sleep(1.1)

    webhook_deliver(delivery_id=fired(hooked).pk)
    [request] = receiver.requests
    assert len(V1.findall(request.headers["x-keyservice-signature"])) == 1
    assert verifies(request, new) and not verifies(request, old)

    webhook_sweep()
    hook = Webhook.objects.get(project=hooked)
    assert (hook.previous_secret, hook.previous_secret_until) == ("", None)


def test_the_sweep_keeps_a_previous_secret_whose_overlap_lasts(hooked, receiver):
    old = secret_of(hooked)
    webhook_secret_rotate(project=hooked, actor=SYSTEM)

    webhook_sweep()

    hook = Webhook.objects.get(project=hooked)
    assert hook.previous_secret == old and hook.previous_secret_until is not None
    assert webhook_test_send(project=hooked).success  # the test send too carries both
    [request] = receiver.requests
    assert verifies(request, old) and verifies(request, hook.secret)


def test_an_overlap_of_zero_signs_with_the_new_secret_at_once(hooked, receiver, settings):
    settings.KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS = 0
    old = secret_of(hooked)
    new = webhook_secret_rotate(project=hooked, actor=SYSTEM)

    webhook_deliver(delivery_id=fired(hooked).pk)

    [request] = receiver.requests
    assert verifies(request, new) and not verifies(request, old)
    assert Webhook.objects.get(project=hooked).previous_secret == ""


def test_a_second_rotation_within_the_overlap_signs_with_the_last_two_secrets(hooked, receiver):
    first = secret_of(hooked)
    second = webhook_secret_rotate(project=hooked, actor=SYSTEM)
    third = webhook_secret_rotate(project=hooked, actor=SYSTEM)

    webhook_deliver(delivery_id=fired(hooked).pk)

    [request] = receiver.requests
    assert verifies(request, third) and verifies(request, second)
    assert not verifies(request, first)


def test_the_rotation_records_until_when_the_previous_secret_signs_but_no_secret(hooked):
    old = secret_of(hooked)
    new = webhook_secret_rotate(project=hooked, actor=SYSTEM)

    [event] = AuditEvent.objects.filter(kind=AuditEvent.Kind.WEBHOOK_SECRET_ROTATED)
    until = Webhook.objects.get(project=hooked).previous_secret_until
    assert event.details == {"previous_signs_until": until.isoformat()}
    assert old not in str(event.details) and new not in str(event.details)


def test_the_dashboard_says_until_when_both_secrets_sign(client, owner, hooked):
    client.force_login(owner)
    old = secret_of(hooked)

    response = client.post(f"/projects/{hooked.public_id}/webhook/secret/", follow=True)

    page = response.content.decode()
    assert 'id="webhook-overlap"' in page and "also signed with the previous" in page
    assert old not in page  # the previous secret is never shown again


def test_a_header_with_previous_secrets_carries_one_v1_per_secret():
    header = signature_header(secret="a" * 64, previous_secrets=["b" * 64], body=b"{}", timestamp=7)

    assert header.startswith("t=7,v1=") and len(V1.findall(header)) == 2
    for secret in ("a" * 64, "b" * 64):
        assert signature_verify(secret=secret, header=header, body=b"{}", now=7)
