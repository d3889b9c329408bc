"""teams.services keeps when a membership was one after it ends (FormerMembership): written
when a member is removed or leaves and when a member's account is deleted, pruned with the
audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import user_active_set, user_delete
from audit.services import Actor
from core.retention import retention_prune
from teams.models import FormerMembership, Membership
from teams.services import membership_remove

pytestmark = pytest.mark.django_db


def test_removing_a_member_keeps_from_when_to_when_they_were_one(owner, full_member):
    joined = Membership.objects.get(member=full_member).created_at

    assert membership_remove(owner=owner, member=full_member, actor=Actor.of(owner))

    [former] = FormerMembership.objects.all()
    assert (former.owner, former.member, former.member_public_id) == (
        owner,
        full_member,
        full_member.public_id,
    )
    assert former.started_at == joined and joined < former.ended_at <= timezone.now()


def test_a_deleted_members_memberships_are_kept_and_a_deactivation_keeps_nothing(
    owner, full_member
):
    user_active_set(user=full_member, active=False)
    assert not FormerMembership.objects.exists()

    user_delete(user=full_member)

    [former] = FormerMembership.objects.all()
    assert former.member is None and former.owner == owner


def test_former_memberships_are_pruned_with_the_audit_trail(settings, owner, full_member):
    settings.KEYSERVICE_AUDIT_RETENTION_DAYS = 30
    membership_remove(owner=owner, member=full_member, actor=Actor.of(owner))

    assert retention_prune(now=timezone.now() + timedelta(days=29))["former_memberships"] == 0
    assert retention_prune(now=timezone.now() + timedelta(days=31))["former_memberships"] == 1
    assert not FormerMembership.objects.exists()
