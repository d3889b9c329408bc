"""Every team change joins the owner's audit trail (audit.models.AuditEvent), through every
path that makes it — the Team page, the invitation link, the directory import, the admin —
with the right actor, person, account, projects and details."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from accounts.models import User
from audit.models import ActorKind, AuditEvent
from projects.models import Project
from teams import invitations as inv
from teams.models import Invitation, Membership, Role
from tests.support.accounts import verified_user

pytestmark = pytest.mark.django_db
Kind = AuditEvent.Kind


def only_event(kind: str) -> AuditEvent:
    [event] = AuditEvent.objects.filter(kind=kind)
    return event


def invite(client, owner, email, projects, capture, role="READONLY"):
    client.force_login(owner)
    with capture(execute=True):
        return client.post(
            "/team/invite/",
            {"email": email, "role": role, "projects": [p.public_id for p in projects]},
        )


def test_sending_an_invitation_records_the_owner_as_actor_and_the_address_as_person(
    client, owner, showroom, django_capture_on_commit_callbacks
):
    assert invite(client, owner, "New@Example.com", [showroom], django_capture_on_commit_callbacks)
    event = only_event(Kind.INVITATION_SENT)
    assert (event.account, event.actor, event.actor_kind) == (owner, owner, ActorKind.USER)
    assert (event.subject, event.subject_email) == (None, "new@example.com")
    assert event.projects == [showroom.public_id]
    assert event.details["role"] == "READONLY"


def test_a_refused_invitation_records_nothing(client, owner, full_member):
    client.force_login(owner)
    response = client.post("/team/invite/", {"email": full_member.email, "role": "FULL"})
    assert response.status_code == 400
    assert not AuditEvent.objects.exists()


def test_resending_and_revoking_an_invitation_are_recorded(
    client, owner, showroom, django_capture_on_commit_callbacks
):
    invite(client, owner, "new@example.com", [showroom], django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/team/invitations/{invitation.pk}/resend/")
    client.post(f"/team/invitations/{invitation.pk}/revoke/")
    client.post(f"/team/invitations/{invitation.pk}/revoke/")  # not pending: nothing more
    for kind in (Kind.INVITATION_RESENT, Kind.INVITATION_REVOKED):
        event = only_event(kind)
        assert (event.actor, event.subject_email, event.account) == (
            owner,
            "new@example.com",
            owner,
        )


def test_accepting_records_the_acceptance_and_the_new_membership_with_the_invitee_as_actor(
    client, owner, showroom, django_capture_on_commit_callbacks
):
    invite(client, owner, "rita@example.com", [showroom], django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    rita = verified_user("rita@example.com", "pw-rita-1234")
    inv.invitation_accept(invitation=invitation, user=rita)
    accepted, added = only_event(Kind.INVITATION_ACCEPTED), only_event(Kind.MEMBER_ADDED)
    for event in (accepted, added):
        assert (event.account, event.actor, event.subject) == (owner, rita, rita)
        assert event.projects == [showroom.public_id]
    assert added.details == {"role": "READONLY", "via": "invitation"}


def test_changing_a_members_role_and_access_list_records_before_and_after(
    client, owner, full_member, showroom, configurator
):
    client.force_login(owner)
    response = client.post(
        f"/team/members/{full_member.public_id}/edit/",
        {"role": "READONLY", "projects": [configurator.public_id]},
    )
    assert response.status_code == 302
    event = only_event(Kind.MEMBER_CHANGED)
    assert (event.actor, event.actor_kind, event.subject) == (owner, ActorKind.USER, full_member)
    assert event.projects == [configurator.public_id]
    assert event.details == {
        "role": "READONLY",
        "from_role": "FULL",
        "from_projects": [showroom.public_id],
    }


def test_saving_a_member_unchanged_records_nothing(client, owner, full_member, showroom):
    client.force_login(owner)
    client.post(
        f"/team/members/{full_member.public_id}/edit/",
        {"role": "FULL", "projects": [showroom.public_id]},
    )
    assert not AuditEvent.objects.exists()


def test_the_owner_removing_a_member_is_a_removal_and_a_member_leaving_is_leaving(
    client, owner, full_member, readonly_member, showroom
):
    client.force_login(owner)
    client.post(f"/team/members/{full_member.public_id}/remove/")
    client.force_login(readonly_member)
    client.post(f"/team/leave/{owner.public_id}/")
    removed, left = only_event(Kind.MEMBER_REMOVED), only_event(Kind.MEMBER_LEFT)
    assert (removed.actor, removed.subject, removed.details) == (
        owner,
        full_member,
        {"role": "FULL"},
    )
    assert (left.actor, left.subject, left.account) == (readonly_member, readonly_member, owner)
    assert left.projects == [showroom.public_id]
    assert not Membership.objects.exists()


def test_the_directory_import_records_its_memberships_as_the_system(tmp_path, owner, showroom):
    path = tmp_path / "directory.json"
    path.write_text(
        json.dumps(
            {
                "users": [{"email": "viewer@example.com"}],
                "memberships": [
                    {
                        "account": owner.email,
                        "member": "viewer@example.com",
                        "role": "READONLY",
                        "projects": [showroom.public_id],
                    }
                ],
            }
        )
    )
    call_command("import_directory", str(path), stdout=None)
    event = only_event(Kind.MEMBER_ADDED)
    assert (event.actor, event.actor_kind, event.account) == (None, ActorKind.SYSTEM, owner)
    assert event.subject == User.objects.get(email="viewer@example.com")
    assert event.details == {"role": "READONLY", "via": "directory import"}
    call_command("import_directory", str(path), stdout=None)  # the same again: no change
    assert AuditEvent.objects.count() == 1


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_superuser("root@example.com", "pw-root-12345")


def test_an_operator_adding_changing_and_deleting_a_membership_in_admin_is_recorded(
    client, operator, owner, outsider, showroom, configurator
):
    client.force_login(operator)
    add = client.post(
        "/admin/teams/membership/add/",
        {"owner": owner.pk, "member": outsider.pk, "role": "FULL", "projects": [showroom.pk]},
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    membership = Membership.objects.get(owner=owner, member=outsider)
    change = client.post(
        f"/admin/teams/membership/{membership.pk}/change/",
        {"role": "READONLY", "projects": [showroom.pk, configurator.pk]},
    )
    assert change.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.READONLY
    assert set(membership.projects.all()) == {showroom, configurator}
    delete = client.post(f"/admin/teams/membership/{membership.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 302
    assert not Membership.objects.exists()
    kinds = list(AuditEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [Kind.MEMBER_ADDED, Kind.MEMBER_CHANGED, Kind.MEMBER_REMOVED]
    for event in AuditEvent.objects.all():
        assert (event.actor, event.actor_kind, event.subject) == (
            operator,
            ActorKind.OPERATOR,
            outsider,
        )
        assert event.details.get("via", "admin") == "admin"


def test_the_admin_refuses_another_accounts_project_in_an_access_list(
    client, operator, owner, outsider
):
    foreign = Project.objects.create(owner=outsider, name="Theirs")
    other = verified_user("other@example.com")
    client.force_login(operator)
    response = client.post(
        "/admin/teams/membership/add/",
        {"owner": owner.pk, "member": other.pk, "role": "FULL", "projects": [foreign.pk]},
    )
    assert response.status_code == 200
    assert f"Not projects of {owner.email}: {foreign.public_id}" in response.content.decode()
    assert not Membership.objects.exists() and not AuditEvent.objects.exists()


def test_an_operator_deleting_memberships_in_bulk_records_each(
    client, operator, owner, full_member, readonly_member
):
    client.force_login(operator)
    ids = list(Membership.objects.values_list("pk", flat=True))
    response = client.post(
        "/admin/teams/membership/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    removed = AuditEvent.objects.filter(kind=Kind.MEMBER_REMOVED, actor=operator)
    assert {e.subject for e in removed} == {full_member, readonly_member}
