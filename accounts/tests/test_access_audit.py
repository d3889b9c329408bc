"""Every change of who can sign in to an account, or how, is recorded with its actor in the
change's own transaction (apikeys' KeyEvent, through accounts.hooks.IDENTITY_EVENT): a
deactivation and a reactivation, a password set by an operator, by the directory import or by
its holder, a sign-in identity disconnected. Each through its service and through every surface
that calls it: the admin, the management command, allauth's pages."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command
from django.test import Client

from accounts import services
from accounts.access import user_identity_disconnect, user_password_set
from accounts.models import User
from accounts.services import user_active_set
from apikeys.models import KeyEvent
from tests.support.accounts import ALICE_EMAIL, ALICE_PASSWORD

pytestmark = pytest.mark.django_db
Kind = KeyEvent.Kind
EMAIL, PASSWORD = ALICE_EMAIL, ALICE_PASSWORD


def events(user: User, kind: str) -> list[KeyEvent]:
    return list(KeyEvent.objects.filter(user=user, kind=kind).order_by("id"))


def as_operator(root: User) -> Client:
    browser = Client()
    browser.force_login(root)
    return browser


def signed_in(email: str = EMAIL, password: str = PASSWORD) -> Client:
    browser = Client()
    browser.post("/accounts/login/", {"login": email, "password": password})
    return browser


# --- Deactivation and reactivation --------------------------------------------------------------


def test_deactivating_and_reactivating_are_recorded_with_their_actor(alice, root):
    user_active_set(user=alice, active=False, actor=root)
    user_active_set(user=alice, active=False, actor=root)  # no change: nothing recorded
    user_active_set(user=alice, active=True)

    [off] = events(alice, Kind.USER_DEACTIVATED)
    [on] = events(alice, Kind.USER_REACTIVATED)
    assert (off.actor, off.detail) == (root, "account deactivated by an operator")
    assert (on.actor, on.detail) == (None, "account reactivated by an operator")
    assert (off.user_email, off.user_public_id) == (EMAIL, alice.public_id)


def test_a_deactivation_that_fails_late_leaves_neither_the_change_nor_its_event(
    alice, root, monkeypatch
):
    def failing(**kwargs):
        raise RuntimeError("a hook failed")

    monkeypatch.setattr(services, "user_deactivated", failing)

    with pytest.raises(RuntimeError):
        user_active_set(user=alice, active=False, actor=root)

    alice.refresh_from_db()
    assert alice.is_active
    assert not KeyEvent.objects.filter(user=alice).exists()


def test_the_admin_records_the_operator_who_deactivated_and_reactivated(alice, root):
    url = f"/admin/accounts/user/{alice.pk}/change/"
    form = {"email": EMAIL, "name": "Alice"}
    assert as_operator(root).post(url, form).status_code == 302
    assert as_operator(root).post(url, {**form, "is_active": "on"}).status_code == 302

    [off] = events(alice, Kind.USER_DEACTIVATED)
    [on] = events(alice, Kind.USER_REACTIVATED)
    assert off.actor == on.actor == root
    assert off.detail == "account deactivated in the admin"


# --- Passwords ----------------------------------------------------------------------------------


def test_a_password_set_is_recorded_never_with_the_password(alice, root):
    user_password_set(user=alice, password="New-pass-456", actor=root, reason="a test")
    user_password_set(user=alice, password=None, actor=root, reason="a test")

    first, second = events(alice, Kind.PASSWORD_SET)
    assert (first.actor, first.detail) == (root, "password set: a test")
    assert second.detail == "password made unusable: a test"
    assert not any("New-pass-456" in e.detail for e in KeyEvent.objects.all())


def test_the_admin_password_form_records_the_operator(alice, root):
    url = f"/admin/accounts/user/{alice.pk}/password/"
    new = {"password1": "Alice-new-456", "password2": "Alice-new-456", "usable_password": "true"}
    assert as_operator(root).post(url, new).status_code == 302
    unusable = {"usable_password": "false", "unset-password": "1"}
    assert as_operator(root).post(url, unusable).status_code == 302

    first, second = events(alice, Kind.PASSWORD_SET)
    assert first.actor == second.actor == root
    assert first.detail == "password set: by an operator in the admin"
    assert second.detail == "password made unusable: by an operator in the admin"
    alice.refresh_from_db()
    assert not alice.has_usable_password()


def import_directory(tmp_path, alice: User, password: str, *more: dict) -> None:
    path = tmp_path / "directory.json"
    users = [{"email": EMAIL, "userId": alice.public_id, "password": password}, *more]
    path.write_text(json.dumps({"users": users, "projects": [], "memberships": []}))
    call_command("import_directory", str(path), stdout=StringIO())


def test_the_directory_import_records_the_passwords_it_sets_as_the_systems(tmp_path, alice):
    import_directory(tmp_path, alice, PASSWORD)  # the same password: nothing set
    assert events(alice, Kind.PASSWORD_SET) == []

    new_user = {"email": "bob@example.com", "password": "Bob-pass-123"}
    import_directory(tmp_path, alice, "Alice-new-456", new_user)

    [changed] = events(alice, Kind.PASSWORD_SET)
    assert (changed.actor, changed.detail) == (None, "password set: directory import")
    [created] = events(User.objects.get(email="bob@example.com"), Kind.PASSWORD_SET)
    assert created.detail == "password set by the directory import (new account)"


def test_changing_ones_own_password_on_allauths_page_is_recorded_as_the_holders(alice):
    browser = signed_in()

    response = browser.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "Alice-new-456", "password2": "Alice-new-456"},
    )

    assert response.status_code == 302
    [changed] = events(alice, Kind.PASSWORD_SET)
    assert changed.actor == alice
    assert changed.detail == "password set: by its holder (password change or reset)"


# --- A sign-in identity disconnected ------------------------------------------------------------


def test_a_disconnected_identity_is_recorded_with_its_actor(alice, root):
    account = SocialAccount.objects.create(user=alice, provider="google", uid="alice-sub")

    user_identity_disconnect(account=account, actor=root)

    assert not SocialAccount.objects.filter(user=alice).exists()
    [event] = events(alice, Kind.IDENTITY_DISCONNECTED)
    assert (event.actor, event.detail) == (root, "google identity alice-sub disconnected")


def test_disconnecting_on_allauths_connections_page_is_recorded_and_keeps_that_session(
    alice, google
):
    account = SocialAccount.objects.create(user=alice, provider="google", uid="alice-sub")
    elsewhere, here = signed_in(), signed_in()

    response = here.post("/accounts/3rdparty/", {"account": account.pk})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not SocialAccount.objects.filter(pk=account.pk).exists()
    [event] = events(alice, Kind.IDENTITY_DISCONNECTED)
    assert event.actor == alice
    [ended] = events(alice, Kind.SESSIONS_ENDED)
    assert ended.detail == "all other sessions: the google identity alice-sub was disconnected"
    assert here.get("/").wsgi_request.user == alice
    assert not elsewhere.get("/").wsgi_request.user.is_authenticated


def test_an_operator_deleting_an_identity_in_the_admin_is_recorded(alice, root):
    account = SocialAccount.objects.create(user=alice, provider="google", uid="alice-sub")

    response = as_operator(root).post(
        f"/admin/socialaccount/socialaccount/{account.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not SocialAccount.objects.filter(pk=account.pk).exists()
    [event] = events(alice, Kind.IDENTITY_DISCONNECTED)
    assert event.actor == root


def test_the_admins_delete_selected_action_records_each_identity(alice, root):
    accounts = [
        SocialAccount.objects.create(user=alice, provider="google", uid=f"sub-{n}")
        for n in range(2)
    ]

    response = as_operator(root).post(
        "/admin/socialaccount/socialaccount/",
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in accounts],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not SocialAccount.objects.exists()
    assert {e.detail for e in events(alice, Kind.IDENTITY_DISCONNECTED)} == {
        "google identity sub-0 disconnected",
        "google identity sub-1 disconnected",
    }
