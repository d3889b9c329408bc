"""change_user is not every operator's permissions: only superusers change (address,
password, permissions) or delete the accounts of other staff and superusers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from tests.support.accounts import verified_user
from tests.support.google_flow import sign_in_with_google, signed_in_user

pytestmark = pytest.mark.django_db
MALLORY = "mallory@evil.test"
KEYMASTER_PASSWORD = "Km-pass-123456"


@pytest.fixture
def keymaster(db) -> User:
    """Staff with more than the clerk: may revoke keys and delete users."""
    user = verified_user("keymaster@example.com", KEYMASTER_PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["revoke_apikey", "view_apikey", "delete_user"])
    )
    return user


@pytest.fixture
def clerk(db) -> Client:
    """Staff with every permission on users, and nothing else."""
    user = verified_user("clerk@example.com", "Clerk-pass-123", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_user", "add_user", "change_user", "delete_user"]
        )
    )
    client = Client()
    client.force_login(user)
    return client


def test_a_clerk_cannot_move_another_staff_account_to_their_own_address(clerk, keymaster, google):
    response = clerk.post(
        f"/admin/accounts/user/{keymaster.pk}/change/",
        {"email": MALLORY, "name": "", "is_active": "on"},
    )

    assert response.status_code == 403
    keymaster.refresh_from_db()
    assert keymaster.email == "keymaster@example.com"
    # Mallory's own Google account does not reach the keymaster's permissions.
    google.login_as(MALLORY, "Mallory", sub="mallory-sub")
    browser = Client()
    sign_in_with_google(browser, google)
    who = signed_in_user(browser)
    assert who is None or not who.has_perm("apikeys.revoke_apikey")


def test_a_clerk_cannot_set_or_unset_another_staff_accounts_password(clerk, keymaster):
    url = f"/admin/accounts/user/{keymaster.pk}/password/"
    assert clerk.get(url).status_code == 403
    for data in (
        {"password1": "New-pass-98765", "password2": "New-pass-98765", "usable_password": "true"},
        {"usable_password": "false"},
    ):
        assert clerk.post(url, data).status_code == 403

    keymaster.refresh_from_db()
    assert keymaster.check_password(KEYMASTER_PASSWORD)


def test_a_clerk_cannot_deactivate_or_delete_another_staff_account(clerk, keymaster):
    change = clerk.post(
        f"/admin/accounts/user/{keymaster.pk}/change/",
        {"email": keymaster.email, "name": "", "is_active": ""},
    )
    delete = clerk.post(f"/admin/accounts/user/{keymaster.pk}/delete/", {"post": "yes"})
    bulk = clerk.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [keymaster.pk], "post": "yes"},
    )

    assert (change.status_code, delete.status_code) == (403, 403)
    assert bulk.status_code in (200, 302, 403)
    keymaster.refresh_from_db()
    assert keymaster.is_active


def test_the_clerk_sees_another_staff_account_read_only(clerk, keymaster):
    page = clerk.get(f"/admin/accounts/user/{keymaster.pk}/change/")
    assert page.status_code == 200
    assert 'name="email"' not in page.content.decode()


def test_a_clerk_still_changes_accounts_that_are_not_staff(clerk, owner):
    response = clerk.post(
        f"/admin/accounts/user/{owner.pk}/change/",
        {"email": owner.email, "name": "Renamed", "is_active": "on"},
    )
    password = clerk.post(
        f"/admin/accounts/user/{owner.pk}/password/",
        {"password1": "New-pass-98765", "password2": "New-pass-98765", "usable_password": "true"},
    )

    assert (response.status_code, password.status_code) == (302, 302)
    owner.refresh_from_db()
    assert owner.name == "Renamed" and owner.check_password("New-pass-98765")


def test_a_superuser_still_changes_staff_accounts(keymaster):
    root = User.objects.create_superuser("root@example.com", "Root-pass-123")
    client = Client()
    client.force_login(root)

    response = client.post(
        f"/admin/accounts/user/{keymaster.pk}/password/",
        {"password1": "New-pass-98765", "password2": "New-pass-98765", "usable_password": "true"},
    )

    assert response.status_code == 302
    keymaster.refresh_from_db()
    assert keymaster.check_password("New-pass-98765")
