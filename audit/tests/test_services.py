"""audit.services.audit_record: the snapshot of who was involved, no secret in the details,
rows that outlive the people they name, and a read-only admin for operators."""

from __future__ import annotations

import pytest

from audit.models import ActorKind, AuditEvent
from audit.services import SYSTEM, Actor, SecretInDetails, audit_record

pytestmark = pytest.mark.django_db
Kind = AuditEvent.Kind


def test_an_event_keeps_the_addresses_of_account_actor_and_person(owner, full_member):
    event = audit_record(
        kind=Kind.MEMBER_REMOVED, account=owner, actor=Actor.of(owner), subject=full_member
    )
    assert (event.account_email, event.actor_email, event.subject_email) == (
        owner.email,
        owner.email,
        full_member.email,
    )
    assert event.actor_kind == ActorKind.USER


def test_the_event_outlives_the_people_it_names(owner, full_member):
    event = audit_record(
        kind=Kind.MEMBER_LEFT, account=owner, actor=Actor.of(full_member), subject=full_member
    )
    full_member.delete()
    owner.delete()
    event.refresh_from_db()
    assert (event.account, event.actor, event.subject) == (None, None, None)
    assert (event.account_email, event.subject_email) == ("owner@example.com", "full@example.com")


@pytest.mark.parametrize("name", ["secret", "webhook_secret", "token", "password", "apiKey"])
def test_details_naming_a_secret_are_refused_and_nothing_is_written(owner, name):
    with pytest.raises(SecretInDetails):
        audit_record(
            kind=Kind.WEBHOOK_SECRET_ROTATED, account=owner, actor=SYSTEM, details={name: "x"}
        )
    assert not AuditEvent.objects.exists()


def test_operators_see_events_in_admin_but_cannot_change_or_delete_them(admin_client, owner):
    event = audit_record(kind=Kind.MEMBER_ADDED, account=owner, actor=SYSTEM)
    listing = admin_client.get("/admin/audit/auditevent/")
    assert listing.status_code == 200 and owner.email in listing.content.decode()
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    change = admin_client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"kind": "x"})
    assert change.status_code == 403
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.get().kind == Kind.MEMBER_ADDED
