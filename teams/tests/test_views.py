"""The Team page's members: editing a member's role and projects, removing, leaving."""

import pytest

from teams.models import Membership
from teams.tests.test_invitations import make_invitation

pytestmark = pytest.mark.django_db


def test_the_owner_edits_a_members_role_and_projects(
    client, owner, readonly_member, showroom, configurator
):
    client.force_login(owner)
    url = f"/team/members/{readonly_member.public_id}/edit/"
    assert client.get(url).status_code == 200
    client.post(url, {"role": "FULL", "projects": [configurator.public_id]})
    membership = Membership.objects.get(member=readonly_member)
    assert (membership.role, list(membership.projects.all())) == ("FULL", [configurator])


def test_removing_a_member_asks_for_confirmation_first(client, owner, readonly_member):
    client.force_login(owner)
    url = f"/team/members/{readonly_member.public_id}/remove/"
    page = client.get(url)
    assert "Remove member" in page.content.decode()
    assert Membership.objects.exists()
    client.post(url)
    assert not Membership.objects.exists()


def test_a_member_cannot_manage_the_owners_team(client, owner, full_member, readonly_member):
    client.force_login(full_member)
    for url in (
        f"/team/members/{readonly_member.public_id}/edit/",
        f"/team/members/{readonly_member.public_id}/remove/",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"role": "FULL"}).status_code == 404
    invitation = make_invitation(owner)
    assert client.post(f"/team/invitations/{invitation.pk}/revoke/").status_code == 404
    assert Membership.objects.filter(member=readonly_member, role="READONLY").exists()


def test_a_member_can_leave_an_account(client, owner, full_member):
    client.force_login(full_member)
    html = client.get("/team/").content.decode()
    assert "owner@example.com" in html and "Leave" in html
    client.post(f"/team/leave/{owner.public_id}/")
    assert not Membership.objects.filter(member=full_member).exists()
