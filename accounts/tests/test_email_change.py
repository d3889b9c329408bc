"""One service changes a user's address: the old one is gone, the new one verified, audited."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import User
from accounts.services import user_create_or_update, user_email_change
from apikeys.models import KeyEvent
from teams import invitations
from teams.models import Membership
from tests.support.google_flow import sign_in_with_google, signed_in_user

pytestmark = pytest.mark.django_db
OLD, NEW = "owner@example.com", "olivia@new.example.com"


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root@example.com", "Root-pass-123")


def change_in_admin(root, user, email):
    client = Client()
    client.force_login(root)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"email": email, "name": user.name, "is_active": "on"},
    )
    return response


def assert_only_address(user, email):
    rows = list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))
    assert rows == [(email, True, True)]


def test_the_admin_change_form_replaces_the_verified_address_and_audits_it(root, owner):
    response = change_in_admin(root, owner, NEW)

    assert response.status_code == 302, response.content.decode()
    owner.refresh_from_db()
    assert owner.email == NEW
    assert_only_address(owner, NEW)
    event = KeyEvent.objects.get(kind=KeyEvent.Kind.EMAIL_CHANGED)
    assert (event.user, event.actor) == (owner, root)
    assert OLD in event.detail and NEW in event.detail


def test_after_the_change_a_google_sign_in_as_the_old_address_does_not_reach_the_account(
    root, owner, google
):
    change_in_admin(root, owner, NEW)

    google.login_as(OLD, "Whoever holds it now", sub="new-holder-of-old-address")
    browser = Client()
    sign_in_with_google(browser, google)

    assert signed_in_user(browser) != owner
    assert not SocialAccount.objects.filter(user=owner).exists()


def test_after_the_change_an_invitation_to_the_new_address_can_be_accepted(root, owner, outsider):
    change_in_admin(root, owner, NEW)
    invitation = invitations.invitation_create(
        owner=outsider, email=NEW, role="FULL", projects=[], base_url="http://testserver/"
    )
    owner.refresh_from_db()
    browser = Client()
    browser.force_login(owner)

    response = browser.post(f"/invitations/{invitations.invitation_token(invitation=invitation)}/")

    assert response.status_code == 302
    assert Membership.objects.filter(owner=outsider, member=owner).exists()


def test_the_admin_refuses_an_address_another_account_has_verified(root, owner, outsider):
    response = change_in_admin(root, owner, outsider.email)

    assert response.status_code == 200
    assert "already" in response.content.decode()
    owner.refresh_from_db()
    assert owner.email == OLD


def test_the_directory_import_changes_an_address_through_the_same_service(owner):
    _, created, changed = user_create_or_update(user=owner, email=NEW, name=owner.name)

    assert (created, changed) == (False, True)
    owner.refresh_from_db()
    assert owner.email == NEW
    assert_only_address(owner, NEW)
    assert KeyEvent.objects.filter(kind="email_changed", user=owner, actor=None).exists()


def test_an_email_change_runs_in_one_transaction(owner, outsider):
    with pytest.raises(ValidationError):
        user_email_change(user=owner, email=outsider.email, actor=None)
    owner.refresh_from_db()
    assert owner.email == OLD
    assert_only_address(owner, OLD)
    assert not KeyEvent.objects.filter(kind="email_changed").exists()
