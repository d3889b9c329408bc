"""teams/services.py: membership_upsert (create, replace the access list, refuse with a reason
on the field at fault) and membership_remove."""

from __future__ import annotations

import pytest

from accounts.models import User
from audit.services import SYSTEM
from core.errors import ApplicationError
from projects.models import Project
from teams.models import Membership, Role
from teams.services import MembershipRefusal, membership_remove, membership_upsert


def access_list(owner_email: str, member_email: str) -> tuple[str, set[str]]:
    membership = Membership.objects.get(owner__email=owner_email, member__email=member_email)
    return membership.role, set(membership.projects.values_list("public_id", flat=True))


@pytest.fixture
def team(db) -> tuple[User, User, Project]:
    boss = User.objects.create_user("boss@example.com")
    helper = User.objects.create_user("helper@example.com")
    return boss, helper, Project.objects.create(owner=boss, name="Boss project")


def test_membership_upsert_creates_then_replaces_the_access_list(team):
    boss, helper, project = team
    other = Project.objects.create(owner=boss, name="Second")

    first = membership_upsert(
        actor=SYSTEM, owner=boss, member=helper, role=Role.READONLY, projects=[project]
    )
    second = membership_upsert(
        actor=SYSTEM, owner=boss, member=helper, role=Role.FULL, projects=[other]
    )
    third = membership_upsert(
        actor=SYSTEM, owner=boss, member=helper, role=Role.FULL, projects=[other]
    )

    assert (first.created, second.created, second.changed, third.changed) == (
        True,
        False,
        True,
        False,
    )
    assert access_list("boss@example.com", "helper@example.com") == ("FULL", {other.public_id})


@pytest.mark.parametrize(
    ("case", "field"),
    [("foreign-project", "projects"), ("self", "member"), ("bad-role", "role")],
)
def test_membership_upsert_rejects_invalid_memberships(team, case, field):
    boss, helper, project = team
    foreign = Project.objects.create(owner=helper, name="Helper project")
    kwargs = {"owner": boss, "member": helper, "role": "FULL", "projects": [project]}
    kwargs |= {
        "foreign-project": {"projects": [project, foreign]},
        "self": {"member": boss},
        "bad-role": {"role": "ADMIN"},
    }[case]

    with pytest.raises(ApplicationError) as excinfo:
        membership_upsert(actor=SYSTEM, **kwargs)

    assert excinfo.value.reason is MembershipRefusal.INVALID
    assert field in excinfo.value.fields
    assert not Membership.objects.exists()


def test_membership_remove_reports_whether_there_was_a_membership(team):
    boss, helper, project = team
    membership_upsert(actor=SYSTEM, owner=boss, member=helper, role=Role.FULL, projects=[project])

    assert membership_remove(actor=SYSTEM, owner=boss, member=helper) is True
    assert membership_remove(actor=SYSTEM, owner=boss, member=helper) is False
    assert not Membership.objects.exists()
