"""A project's webhook URL and signing secret changes join the owner's audit trail, from the
dashboard (owner or FULL member) and from the admin (operator), never with a secret."""

from __future__ import annotations

import json

import pytest

from accounts.models import User
from audit.models import ActorKind, AuditEvent
from webhooks.configure import url_for_audit, webhook_get_or_create
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db
Kind = AuditEvent.Kind
URL = "https://hooks.example.com/k"


def save_webhook(client, project, url: str):
    return client.post(
        f"/projects/{project.public_id}/webhook/",
        {"webhook_url": url, "webhook_events": ["build.uploaded"], "webhook_retries": "on"},
    )


def test_a_full_member_changing_the_url_is_recorded_in_the_owners_trail(
    client, owner, full_member, showroom
):
    client.force_login(full_member)
    assert save_webhook(client, showroom, URL).status_code == 302
    assert save_webhook(client, showroom, URL).status_code == 302  # unchanged: not again
    [event] = AuditEvent.objects.filter(kind=Kind.WEBHOOK_URL_CHANGED)
    assert (event.account, event.actor, event.actor_kind) == (owner, full_member, ActorKind.USER)
    assert (event.subject, event.projects) == (None, [showroom.public_id])
    assert event.details == {"from": "", "to": URL}


def test_a_refused_url_records_nothing(client, owner, showroom):
    client.force_login(owner)
    assert save_webhook(client, showroom, "ftp://example.com/").status_code == 400
    assert not AuditEvent.objects.exists()


def test_the_trail_keeps_a_url_without_its_credentials_query_or_fragment():
    assert url_for_audit("https://u:p@Hooks.Example.com:8443/in?token=abc#x") == (
        "https://hooks.example.com:8443/in?…"
    )
    assert url_for_audit("https://[2001:db8::1]/in") == "https://[2001:db8::1]/in"
    assert url_for_audit("") == ""


def test_rotating_the_secret_stamps_the_time_and_records_no_secret(client, owner, showroom):
    client.force_login(owner)
    response = client.post(f"/projects/{showroom.public_id}/webhook/secret/")
    assert response.status_code == 302
    hook = Webhook.objects.get(project=showroom)
    assert hook.secret_rotated_at is not None
    [event] = AuditEvent.objects.filter(kind=Kind.WEBHOOK_SECRET_ROTATED)
    assert (event.account, event.actor, event.projects) == (owner, owner, [showroom.public_id])
    assert hook.secret not in json.dumps(event.details) + event.account_email


def test_a_readonly_member_cannot_rotate_and_nothing_is_recorded(client, readonly_member, showroom):
    client.force_login(readonly_member)
    assert client.post(f"/projects/{showroom.public_id}/webhook/secret/").status_code == 404
    assert not AuditEvent.objects.exists()


def test_an_operator_changing_the_url_in_admin_is_recorded_as_the_operator(client, showroom):
    operator = User.objects.create_superuser("root@example.com", "pw-root-12345")
    hook = webhook_get_or_create(project=showroom)
    client.force_login(operator)
    response = client.post(
        f"/admin/webhooks/webhook/{hook.pk}/change/",
        {"project": showroom.pk, "url": URL, "events": "[]", "retries": "on"},
    )
    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(kind=Kind.WEBHOOK_URL_CHANGED)
    assert (event.actor, event.actor_kind, event.account) == (
        operator,
        ActorKind.OPERATOR,
        showroom.owner,
    )
    assert event.details == {"from": "", "to": URL}
