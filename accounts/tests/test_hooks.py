"""The hook points of accounts.hooks are filled with the functions of the apps above accounts
(by keyservice.wiring), and accounts' services reach those apps through them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import hooks
from accounts.access import user_access_end
from accounts.adapters import signup_allowed
from accounts.hooks import HookNotRegistered, HookPoint, IdentityEvent
from accounts.models import User
from accounts.services import (
    user_email_change,
    user_identity_merge,
    user_is_inert,
    user_unproven_remove,
)
from apikeys.account_hooks import (
    apikey_held_by,
    apikey_revoke_on_access_end,
    keyevent_identity_create,
)
from apikeys.models import ApiKey, KeyEvent
from apikeys.services import apikey_issue
from projects.models import Project
from projects.selectors import project_held_by
from teams.account_hooks import membership_held_by
from teams.invitations import invitation_pending_for
from teams.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user("someone@example.com", "pw-someone-123")


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root@example.com", "Root-pass-123")


def test_each_hook_point_holds_the_hooks_of_the_installed_apps():
    assert hooks.ADDRESS_INVITED.hooks == (invitation_pending_for,)
    # projects, teams, apikeys: the order of keyservice.wiring.HOOKS
    assert hooks.USER_HOLDINGS.hooks == (project_held_by, membership_held_by, apikey_held_by)
    assert hooks.ACCESS_END.hooks == (apikey_revoke_on_access_end,)
    assert hooks.IDENTITY_EVENT.hooks == (keyevent_identity_create,)


def test_registering_a_hook_again_keeps_it_once():
    point: HookPoint = HookPoint("TEST")
    point.register(invitation_pending_for)
    point.register(invitation_pending_for)
    assert point.hooks == (invitation_pending_for,)


@pytest.mark.parametrize(
    "name, call",
    [
        ("ADDRESS_INVITED", lambda user: signup_allowed(user.email)),
        ("USER_HOLDINGS", lambda user: user_is_inert(user=user)),
        ("ACCESS_END", lambda user: user_access_end(user=user, because="a test")),
        ("IDENTITY_EVENT", lambda user: user_identity_merge(user=user, provider="p", uid="1")),
    ],
)
def test_a_hook_point_nothing_filled_is_an_error_not_a_skip(monkeypatch, user, name, call):
    monkeypatch.setattr(hooks, name, HookPoint(name))
    with pytest.raises(HookNotRegistered, match=name):
        call(user)


def test_an_invitation_lets_its_address_sign_up_when_sign_up_is_invite_only(settings, user):
    settings.KEYSERVICE_SIGNUP = "invite-only"
    Invitation.objects.create(
        owner=user,
        email="guest@example.com",
        role=Role.FULL,
        base_url="http://testserver/",
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert signup_allowed("Guest@Example.com")
    assert not signup_allowed("stranger@example.com")


def _key(user: User) -> None:
    apikey_issue(user=user)


def _project(user: User) -> None:
    Project.objects.create(owner=user, name="Showroom")


def _member(user: User) -> None:
    owner = User.objects.create_user("team-owner@example.com")
    Membership.objects.create(owner=owner, member=user, role=Role.FULL)


def _team_owner(user: User) -> None:
    member = User.objects.create_user("team-member@example.com")
    Membership.objects.create(owner=user, member=member, role=Role.READONLY)


def _revoked_key(user: User) -> None:
    key = apikey_issue(user=user).api_key
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())


@pytest.mark.parametrize("hold", [_key, _revoked_key, _project, _member, _team_owner])
def test_what_a_user_holds_in_another_app_makes_them_not_inert(user, hold):
    assert user_is_inert(user=user)
    hold(user)
    assert not user_is_inert(user=user)
    assert not user_unproven_remove(user=user, proven_by="google identity 1")
    assert User.objects.filter(pk=user.pk).exists()


def test_an_ended_access_revokes_the_active_key_first(root, user):
    key = apikey_issue(user=user).api_key

    user_access_end(user=user, actor=root, because="a test")

    key.refresh_from_db()
    assert key.revoked_at is not None
    events = list(KeyEvent.objects.exclude(kind="issued").order_by("id"))
    assert [e.kind for e in events] == [KeyEvent.Kind.REVOKED, KeyEvent.Kind.SESSIONS_ENDED]
    revoked = events[0]
    assert (revoked.key, revoked.user, revoked.actor) == (key, user, root)
    assert revoked.detail == "revoked: a test; the account requests a new key"


def test_identity_events_are_the_key_events_of_the_same_kind():
    kinds = {kind.value for kind in KeyEvent.Kind}
    assert {event.value for event in IdentityEvent} <= kinds


def test_identity_changes_are_recorded_as_key_events(root, user):
    user_email_change(user=user, email="moved@example.com", actor=root)
    user_identity_merge(user=user, provider="google", uid="sub-1")

    changed = KeyEvent.objects.get(kind=KeyEvent.Kind.EMAIL_CHANGED)
    assert (changed.user, changed.actor, changed.key) == (user, root, None)
    assert (changed.user_email, changed.user_public_id) == ("moved@example.com", user.public_id)
    assert changed.detail == (
        "changed by an operator (password made unusable): someone@example.com -> moved@example.com"
    )
    merged = KeyEvent.objects.get(kind=KeyEvent.Kind.IDENTITY_MERGED)
    assert (merged.user, merged.actor, merged.detail) == (
        user,
        None,
        "google identity sub-1 joined",
    )
