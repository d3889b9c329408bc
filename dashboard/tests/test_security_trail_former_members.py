"""A member's key and identity events stay in the owner's audit trail for the time they were a
member, after they leave: whether they left, were removed, or their account was deleted. What
they do afterwards, or before they joined, is not the owner's business."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import user_active_set, user_delete
from apikeys.models import KeyEvent
from apikeys.revocation import apikey_revoke_own
from apikeys.services import apikey_issue
from audit.services import SYSTEM
from teams.models import FormerMembership, Membership, Role
from teams.services import membership_upsert

pytestmark = pytest.mark.django_db


def trail_kinds(owner: User, **params: str) -> list[str]:
    browser = Client()
    browser.force_login(owner)
    response = browser.get("/security/audit/", params)
    assert response.status_code == 200
    return re.findall(r'<td data-kind="([a-z_]+)">', response.content.decode())


def member_rows(owner: User, member_email: str) -> list[str]:
    """The kinds of the member's key and identity events in the owner's trail, oldest first."""
    return [
        k for k in reversed(trail_kinds(owner, person=member_email)) if not k.startswith("member_")
    ]


def member_browser(member: User) -> Client:
    browser = Client()
    browser.force_login(member)
    return browser


def test_a_member_who_left_keeps_their_events_of_that_time_in_the_owners_trail(owner, full_member):
    apikey_issue(user=full_member, actor=full_member)
    user_active_set(user=full_member, active=False, actor=None)
    user_active_set(user=full_member, active=True, actor=None)
    assert member_rows(owner, full_member.email) == [
        "issued",
        "user_deactivated",
        "sessions_ended",
        "user_reactivated",
    ]

    left = member_browser(full_member).post(f"/team/leave/{owner.public_id}/")
    assert left.status_code == 302
    assert not Membership.objects.filter(member=full_member).exists()
    apikey_revoke_own(user=full_member, actor=full_member)  # after leaving: not shown

    assert member_rows(owner, full_member.email) == [
        "issued",
        "user_deactivated",
        "sessions_ended",
        "user_reactivated",
    ]
    assert "member_left" in trail_kinds(owner)


def test_a_removed_member_keeps_their_events_in_the_owners_trail_and_its_csv(
    client, owner, readonly_member
):
    apikey_issue(user=readonly_member, actor=readonly_member)
    client.force_login(owner)
    removed = client.post(f"/team/members/{readonly_member.public_id}/remove/")
    assert removed.status_code == 302

    assert member_rows(owner, readonly_member.email) == ["issued"]
    exported = client.get("/security/audit.csv", {"person": readonly_member.email})
    text = b"".join(exported.streaming_content).decode()
    assert "issued" in [row["kind"] for row in csv.DictReader(io.StringIO(text))]


def test_a_deleted_members_events_of_their_membership_stay(owner, full_member, root_actor):
    apikey_issue(user=full_member, actor=full_member)
    email, public_id = full_member.email, full_member.public_id

    user_delete(user=full_member, actor=root_actor)

    assert FormerMembership.objects.filter(owner=owner, member_public_id=public_id).exists()
    assert member_rows(owner, email) == ["issued"]
    assert KeyEvent.objects.get(kind="issued", user_public_id=public_id).user is None


def test_a_member_who_rejoins_shows_both_times_but_not_the_gap(owner, outsider):
    membership_upsert(owner=owner, member=outsider, role=Role.FULL, projects=[], actor=SYSTEM)
    apikey_issue(user=outsider, actor=outsider)  # first time: shown
    member_browser(outsider).post(f"/team/leave/{owner.public_id}/")
    user_active_set(user=outsider, active=False)  # in between: not shown
    user_active_set(user=outsider, active=True)
    membership_upsert(owner=owner, member=outsider, role=Role.FULL, projects=[], actor=SYSTEM)
    apikey_revoke_own(user=outsider, actor=outsider)  # second time: shown

    assert member_rows(owner, outsider.email) == ["issued", "revoked"]


def test_events_from_before_a_member_ever_joined_stay_out(owner, outsider):
    apikey_issue(user=outsider, actor=outsider)
    membership_upsert(owner=owner, member=outsider, role=Role.FULL, projects=[], actor=SYSTEM)
    member_browser(outsider).post(f"/team/leave/{owner.public_id}/")

    assert member_rows(owner, outsider.email) == []


@pytest.fixture
def root_actor(db) -> User:
    return User.objects.create_superuser("root@example.com", "Root-pass-123")
