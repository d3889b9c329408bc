"""The composer registry: each app registers its kinds; the outbox sends by kind alone."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys.models import ApiKey, KeyEvent
from apikeys.services import apikey_issue
from outbox.composers import composer_for, composer_register, kind_choices
from outbox.models import OutboxEmail
from outbox.services import outbox_deliver, outbox_email_create
from teams.invitations import invitation_create
from teams.models import Invitation

pytestmark = pytest.mark.django_db


def test_the_apps_register_their_kinds_with_their_labels():
    assert kind_choices() == [
        ("api_key", "New API key"),
        ("invitation", "Team invitation"),
        ("key_expiry_1d", "Key expires in 1 day"),
        ("key_expiry_7d", "Key expires in 7 days"),
        ("leak_notice", "Leaked key notice"),
        ("retired_key_used", "Retired key still in use"),
        ("revoke_notice", "Key revoked by its owner"),
    ]
    row = OutboxEmail(kind="api_key", recipient="a@example.com")
    assert str(row) == "New API key to a@example.com (pending)"


def test_an_unregistered_kind_is_refused_when_queued():
    with pytest.raises(ImproperlyConfigured):
        outbox_email_create(kind="postcard", recipient="a@example.com", subject_id=1)
    with pytest.raises(ImproperlyConfigured):
        composer_for(kind="postcard")
    assert not OutboxEmail.objects.exists()


def test_a_kind_cannot_be_taken_by_another_composer():
    with pytest.raises(ImproperlyConfigured):
        composer_register(kind="api_key", label="Hijack", composer=object())
    assert composer_for(kind="api_key").__class__.__name__ == "ApiKeyEmail"


def test_an_email_whose_key_was_deleted_is_skipped_without_an_event(owner):
    issued = apikey_issue(user=owner)
    row = OutboxEmail.objects.get(kind=ApiKey.EmailKind.NEW_KEY)
    ApiKey.objects.filter(pk=issued.api_key.pk).delete()

    assert outbox_deliver(email_id=row.pk).outcome == "skipped"
    row.refresh_from_db()
    assert row.state == "skipped"
    assert not KeyEvent.objects.filter(kind=KeyEvent.Kind.EMAIL_SKIPPED).exists()


def test_an_email_whose_invitation_was_deleted_is_skipped(owner, showroom):
    invitation = invitation_create(
        owner=owner, email="new@example.com", role="FULL", projects=[showroom], base_url="/"
    )
    row = OutboxEmail.objects.get(kind=Invitation.EmailKind.INVITATION)
    assert row.subject_id == invitation.pk
    invitation.delete()

    assert outbox_deliver(email_id=row.pk).outcome == "skipped"
    row.refresh_from_db()
    assert row.last_error == "the invitation was accepted or revoked before sending"


def test_the_admin_shows_what_each_row_is_about(admin_client, owner, showroom):
    issued = apikey_issue(user=owner)
    invitation_create(
        owner=owner, email="new@example.com", role="FULL", projects=[showroom], base_url="/"
    )
    key_row = OutboxEmail.objects.get(kind=ApiKey.EmailKind.NEW_KEY)
    invitation_row = OutboxEmail.objects.get(kind=Invitation.EmailKind.INVITATION)

    key_page = admin_client.get(f"/admin/outbox/outboxemail/{key_row.pk}/change/")
    invitation_page = admin_client.get(f"/admin/outbox/outboxemail/{invitation_row.pk}/change/")
    listing = admin_client.get("/admin/outbox/outboxemail/", {"kind": "invitation"})

    assert str(issued.api_key) in key_page.content.decode()
    assert issued.plaintext not in key_page.content.decode()
    assert "new@example.com to " in invitation_page.content.decode()
    assert "Team invitation" in listing.content.decode()
    assert listing.context["cl"].result_count == 1


@pytest.mark.parametrize("kind", ["key", "invitation"])
def test_one_delivery_loads_its_subject_once(owner, showroom, kind, settings):
    """skip_reason, message and record of one delivery share one query for the subject."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if kind == "key":
        row = OutboxEmail.objects.get(subject_id=apikey_issue(user=owner).api_key.pk)
        table = ApiKey._meta.db_table
    else:
        invitation = invitation_create(
            owner=owner, email="guest@example.com", role="READONLY", projects=[showroom],
            base_url="http://testserver/",
        )  # fmt: skip
        row = OutboxEmail.objects.get(kind="invitation", subject_id=invitation.pk)
        table = Invitation._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert outbox_deliver(email_id=row.pk).outcome == "sent"
    reads = [
        q["sql"] for q in queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]
    assert len(reads) == 1, reads
