"""Every path that changes a key, a membership, a project's status or an account's activity
records its lifecycle event in its own transaction: the services, and the admin's actions,
deletes and edits (which go through the same services)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from accounts import hooks
from accounts.models import User
from accounts.services import user_active_set, user_delete, user_email_change
from apikeys.leaks.services import apikey_revoke_leaked
from apikeys.revocation import apikey_revoke
from apikeys.services import apikey_issue
from audit.services import SYSTEM
from lifecycle.account_hooks import lifecycle_on_user_deactivated
from lifecycle.events import KeyRevokeReason
from lifecycle.models import LifecycleDelivery
from lifecycle.tests.conftest import emitted, make_subscriber
from projects.models import Project
from projects.services import project_delete, project_on_owner_deactivated, project_status_set
from teams.models import Membership, Role
from teams.services import membership_on_user_deleted, membership_remove, membership_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db) -> Client:
    root = User.objects.create_superuser("root@example.com", "Root-pass-123")
    client = Client()
    client.force_login(root)
    return client


def test_issuing_a_key_announces_it_and_the_rotated_key_by_their_hints(subscriber, owner):
    first = apikey_issue(user=owner).api_key
    second = apikey_issue(user=owner)

    assert emitted() == [
        {"userId": owner.public_id, "keyHint": first.hint},
        {"userId": owner.public_id, "keyHint": first.hint, "reason": "rotated"},
        {"userId": owner.public_id, "keyHint": second.api_key.hint},
    ]
    assert [d.event for d in LifecycleDelivery.objects.order_by("id")] == [
        "key.issued",
        "key.revoked",
        "key.issued",
    ]
    for row in LifecycleDelivery.objects.all():
        assert second.plaintext not in str(row.payload)


def test_a_revoke_names_its_reason_and_a_second_revoke_announces_nothing(subscriber, owner):
    key = apikey_issue(user=owner).api_key
    assert apikey_revoke(api_key=key, reason=KeyRevokeReason.REVOKED_BY_OWNER)
    assert not apikey_revoke(api_key=key, reason=KeyRevokeReason.REVOKED_BY_OWNER)
    assert [d.get("reason") for d in emitted("key.revoked")] == ["revoked_by_owner"]


def test_a_leaked_key_is_announced_as_leaked(subscriber, owner):
    issued = apikey_issue(user=owner)
    apikey_revoke_leaked(keys=[issued.plaintext], reported_by="scanner")
    assert emitted("key.revoked") == [
        {"userId": owner.public_id, "keyHint": issued.api_key.hint, "reason": "leaked"}
    ]


def test_an_ended_access_revokes_the_key_as_access_ended(subscriber, owner):
    apikey_issue(user=owner)
    user_email_change(user=owner, email="owner-new@example.com", actor=None)
    assert [d["reason"] for d in emitted("key.revoked")] == ["access_ended"]


def test_a_membership_announces_what_changed_and_nothing_when_nothing_did(
    subscriber, owner, outsider, showroom, configurator
):
    def upsert(role, projects):
        membership_upsert(owner=owner, member=outsider, role=role, projects=projects, actor=SYSTEM)

    upsert(Role.FULL, [showroom])
    upsert(Role.FULL, [showroom])  # the same: no event
    upsert(Role.READONLY, [showroom])
    upsert(Role.READONLY, [showroom, configurator])
    upsert(Role.FULL, [configurator])
    membership_remove(owner=owner, member=outsider, actor=SYSTEM)
    membership_remove(owner=owner, member=outsider, actor=SYSTEM)  # not a member: no event

    changes = [(d["changes"], d["role"], d["projectIds"]) for d in emitted("membership.changed")]
    both = sorted([showroom.public_id, configurator.public_id])
    assert changes == [
        (["added"], "FULL", [showroom.public_id]),
        (["role"], "READONLY", [showroom.public_id]),
        (["access"], "READONLY", both),
        (["role", "access"], "FULL", [configurator.public_id]),
        (["removed"], None, None),
    ]
    assert {(d["ownerId"], d["memberId"]) for d in emitted()} == {
        (owner.public_id, outsider.public_id)
    }


def test_disabling_a_project_is_announced_once_and_enabling_it_is_not(subscriber, showroom):
    assert project_status_set(project=showroom, status=Project.Status.INACTIVE)
    assert not project_status_set(project=showroom, status=Project.Status.INACTIVE)
    assert project_status_set(project=showroom, status=Project.Status.ACTIVE)
    assert emitted() == [
        {"projectId": showroom.public_id, "ownerId": showroom.owner.public_id, "reason": "disabled"}
    ]


def test_deleting_a_project_is_announced_as_disabled_by_deletion(subscriber, showroom):
    public_id = showroom.public_id
    project_delete(project=showroom)
    assert [(d["projectId"], d["reason"]) for d in emitted()] == [(public_id, "deleted")]


def test_deactivating_an_account_is_announced_and_reactivating_it_is_not(subscriber, owner):
    assert user_active_set(user=owner, active=False)
    assert not user_active_set(user=owner, active=False)
    assert user_active_set(user=owner, active=True)
    assert emitted() == [{"userId": owner.public_id, "reason": "deactivated"}]


def test_deleting_an_owner_announces_the_account_and_each_of_its_projects(
    subscriber, owner, showroom, configurator
):
    user_delete(user=owner)
    assert sorted((d.get("projectId", ""), d["reason"]) for d in emitted()) == sorted(
        [("", "deleted"), (showroom.public_id, "deleted"), (configurator.public_id, "deleted")]
    )


def test_the_deactivation_hook_point_holds_projects_teams_and_lifecycle():
    assert hooks.USER_DEACTIVATED.hooks == (
        project_on_owner_deactivated,
        membership_on_user_deleted,
        lifecycle_on_user_deactivated,
    )


def test_a_rolled_back_change_leaves_no_delivery_and_nothing_to_dispatch(
    subscriber, owner, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        apikey_issue(user=owner)
        raise RuntimeError("the caller fails after issuing")
    assert LifecycleDelivery.objects.count() == 0
    assert callbacks == []


def test_only_active_subscribers_of_the_event_get_a_delivery(receiver, owner):
    keys, _ = make_subscriber(receiver, events=["key.issued"], name="keys")
    make_subscriber(receiver, events=["user.deactivated"], name="users")
    off, _ = make_subscriber(receiver, events=["key.issued"], name="off")
    off.active = False
    off.save()
    apikey_issue(user=owner)
    assert [d.subscriber_id for d in LifecycleDelivery.objects.all()] == [keys.pk]


def test_one_event_to_two_subscribers_shares_its_event_id_not_its_delivery_id(receiver, owner):
    make_subscriber(receiver, name="one")
    make_subscriber(receiver, name="two")
    apikey_issue(user=owner)
    rows = list(LifecycleDelivery.objects.all())
    assert len(rows) == 2
    assert rows[0].payload["eventId"] == rows[1].payload["eventId"]
    assert rows[0].public_id != rows[1].public_id


# --- The admin: every action, edit and delete goes through the services ----------------------


def test_the_admin_revoke_action_announces_an_operator_revocation(subscriber, operator, owner):
    key = apikey_issue(user=owner).api_key
    operator.post("/admin/apikeys/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert [d["reason"] for d in emitted("key.revoked")] == ["revoked_by_operator"]


def _user_form(user: User, **changes) -> dict:
    data = {
        "email": user.email,
        "name": user.name,
        "is_active": "on" if user.is_active else "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_unticking_active_in_the_user_admin_deactivates_through_the_service(
    subscriber, operator, owner
):
    response = operator.post(
        f"/admin/accounts/user/{owner.pk}/change/", _user_form(owner, is_active="")
    )
    assert response.status_code == 302, response.content[:2000]
    owner.refresh_from_db()
    assert not owner.is_active
    assert emitted() == [{"userId": owner.public_id, "reason": "deactivated"}]


def test_deleting_users_in_the_admin_announces_each(subscriber, operator, owner, outsider):
    ids = [owner.pk, outsider.pk]
    operator.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not User.objects.filter(pk__in=ids).exists()
    assert sorted(d["userId"] for d in emitted("user.deactivated")) == sorted(
        [owner.public_id, outsider.public_id]
    )


def test_disabling_and_deleting_a_project_in_the_admin_is_announced(
    subscriber, operator, showroom, configurator
):
    form = {
        "name": showroom.name,
        "status": "inactive",
        "region": showroom.region,
        "custom_domain": "",
    }
    response = operator.post(f"/admin/projects/project/{showroom.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    operator.post(f"/admin/projects/project/{configurator.pk}/delete/", {"post": "yes"})
    assert [(d["projectId"], d["reason"]) for d in emitted()] == [
        (showroom.public_id, "disabled"),
        (configurator.public_id, "deleted"),
    ]
    showroom.refresh_from_db()
    assert showroom.status == "inactive"


def test_memberships_added_changed_and_deleted_in_the_admin_are_announced(
    subscriber, operator, owner, outsider, showroom, configurator
):
    add = {"owner": owner.pk, "member": outsider.pk, "role": "FULL", "projects": [showroom.pk]}
    response = operator.post("/admin/teams/membership/add/", add)
    assert response.status_code == 302, response.content[:2000]
    membership = Membership.objects.get()
    change = {"role": "READONLY", "projects": [showroom.pk, configurator.pk]}
    response = operator.post(f"/admin/teams/membership/{membership.pk}/change/", change)
    assert response.status_code == 302, response.content[:2000]
    operator.post(f"/admin/teams/membership/{membership.pk}/delete/", {"post": "yes"})

    assert [d["changes"] for d in emitted("membership.changed")] == [
        ["added"],
        ["role", "access"],
        ["removed"],
    ]
    assert not Membership.objects.exists()


def test_an_admin_membership_for_the_owner_themselves_is_refused_on_the_form(
    subscriber, operator, owner, showroom
):
    add = {"owner": owner.pk, "member": owner.pk, "role": "FULL", "projects": [showroom.pk]}
    response = operator.post("/admin/teams/membership/add/", add)
    assert response.status_code == 200
    assert b"cannot be a member of their own account" in response.content
    assert emitted() == []
