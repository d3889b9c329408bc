"""The one access decision, per persona (docs/api.md, "Public API credentials")."""

import pytest

from teams.models import Membership
from teams.selectors import Access, project_access_for, project_list_visible

pytestmark = pytest.mark.django_db


def test_the_owner_has_owner_access_to_every_project_of_the_account(owner, showroom, configurator):
    assert project_access_for(user_id=owner.pk, project=showroom) is Access.OWNER
    assert project_access_for(user_id=owner.pk, project=configurator).can_write


def test_a_full_member_reads_and_writes_projects_in_the_access_list(full_member, showroom):
    access = project_access_for(user_id=full_member.pk, project=showroom)
    assert access is Access.FULL
    assert access.can_read and access.can_write


def test_a_readonly_member_reads_but_cannot_write(readonly_member, showroom):
    access = project_access_for(user_id=readonly_member.pk, project=showroom)
    assert access is Access.READONLY
    assert access.can_read and not access.can_write


def test_a_member_has_no_access_to_projects_outside_the_access_list(full_member, configurator):
    access = project_access_for(user_id=full_member.pk, project=configurator)
    assert access is Access.NONE
    assert not access.can_read


def test_an_outsider_has_no_access(outsider, showroom):
    assert project_access_for(user_id=outsider.pk, project=showroom) is Access.NONE


def test_access_is_resolved_live_after_removing_a_project_or_the_member(
    owner, readonly_member, showroom
):
    membership = Membership.objects.get(owner=owner, member=readonly_member)
    membership.projects.remove(showroom)
    assert project_access_for(user_id=readonly_member.pk, project=showroom) is Access.NONE
    membership.projects.add(showroom)
    assert project_access_for(user_id=readonly_member.pk, project=showroom) is Access.READONLY
    membership.delete()
    assert project_access_for(user_id=readonly_member.pk, project=showroom) is Access.NONE


def test_a_member_sees_only_the_projects_in_the_access_list(
    readonly_member, showroom, configurator
):
    visible = project_list_visible(user=readonly_member)
    assert [(v.project, v.access) for v in visible] == [(showroom, Access.READONLY)]


def test_the_owner_sees_every_own_project(owner, showroom, configurator):
    visible = project_list_visible(user=owner)
    assert {v.project for v in visible} == {showroom, configurator}
    assert {v.access for v in visible} == {Access.OWNER}
