"""allauth's address, identity, token and app admins: a verified address row or a social
identity is a way into the account it is attached to, so staff who are not superusers view
them at most. Even with every model permission, a clerk attaches nothing to the superuser."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from accounts.models import User
from tests.support.accounts import verified_user
from tests.support.google_flow import sign_in_with_google, signed_in_user

pytestmark = pytest.mark.django_db
MALLORY = "mallory@evil.test"


@pytest.fixture
def root(db) -> User:
    return verified_user("root@example.com", "Root-pass-123", is_staff=True, is_superuser=True)


@pytest.fixture
def clerk(db) -> Client:
    """Staff with add/change/delete/view on every allauth model."""
    user = verified_user("clerk@example.com", "Clerk-pass-123", is_staff=True)
    models = [EmailAddress, SocialAccount, SocialToken, SocialApp]
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__in=ContentType.objects.get_for_models(*models).values()
        )
    )
    assert user.has_perm("account.add_emailaddress") and user.has_perm(
        "socialaccount.add_socialaccount"
    )
    client = Client()
    client.force_login(user)
    return client


def mallory_signs_in_with_google(google) -> User | None:
    google.login_as(MALLORY, "Mallory", sub="mallory-sub")
    browser = Client()
    sign_in_with_google(browser, google)
    return signed_in_user(browser)


def test_a_clerk_cannot_attach_a_verified_address_to_the_superuser(clerk, root, google):
    added = clerk.post(
        "/admin/account/emailaddress/add/",
        {"user": root.pk, "email": MALLORY, "verified": "on", "primary": ""},
    )
    own = EmailAddress.objects.get(user=root)
    changed = clerk.post(
        f"/admin/account/emailaddress/{own.pk}/change/",
        {"user": root.pk, "email": MALLORY, "verified": "on", "primary": "on"},
    )
    deleted = clerk.post(f"/admin/account/emailaddress/{own.pk}/delete/", {"post": "yes"})

    assert (added.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert list(EmailAddress.objects.filter(user=root).values_list("email", flat=True)) == [
        "root@example.com"
    ]
    assert mallory_signs_in_with_google(google) != root


def test_a_clerk_cannot_mark_an_address_verified_with_the_changelist_action(clerk, root):
    pending = EmailAddress.objects.create(user=root, email=MALLORY, verified=False)

    page = clerk.get("/admin/account/emailaddress/").content.decode()
    clerk.post(
        "/admin/account/emailaddress/",
        {"action": "make_verified", "_selected_action": [pending.pk]},
    )

    assert "make_verified" not in page
    pending.refresh_from_db()
    assert not pending.verified


def test_a_clerk_cannot_attach_a_google_identity_to_the_superuser(clerk, root, google):
    added = clerk.post(
        "/admin/socialaccount/socialaccount/add/",
        {"user": root.pk, "provider": "google", "uid": "mallory-sub", "extra_data": "{}"},
    )
    theirs = SocialAccount.objects.create(user=root, provider="google", uid="root-sub")
    changed = clerk.post(
        f"/admin/socialaccount/socialaccount/{theirs.pk}/change/",
        {"user": root.pk, "provider": "google", "uid": "mallory-sub", "extra_data": "{}"},
    )

    assert (added.status_code, changed.status_code) == (403, 403)
    assert list(SocialAccount.objects.values_list("user", "uid")) == [(root.pk, "root-sub")]
    assert mallory_signs_in_with_google(google) != root


def test_a_clerk_cannot_add_a_social_app_or_token_and_sees_no_secret(clerk, root):
    app = SocialApp.objects.create(provider="google", name="G", client_id="cid", secret="s3cr3t-x")
    token = SocialToken.objects.create(
        app=app,
        account=SocialAccount.objects.create(user=root, provider="google", uid="root-sub"),
        token="tok3n-value",
    )

    new_app = clerk.post(
        "/admin/socialaccount/socialapp/add/",
        {"provider": "google", "name": "Evil", "client_id": "evil", "secret": "x", "key": ""},
    )
    new_token = clerk.post(
        "/admin/socialaccount/socialtoken/add/", {"account": token.account_id, "token": "t"}
    )
    app_page = clerk.get(f"/admin/socialaccount/socialapp/{app.pk}/change/")
    token_page = clerk.get(f"/admin/socialaccount/socialtoken/{token.pk}/change/")
    token_list = clerk.get("/admin/socialaccount/socialtoken/")

    assert (new_app.status_code, new_token.status_code) == (403, 403)
    assert SocialApp.objects.count() == 1 and SocialToken.objects.count() == 1
    assert (app_page.status_code, token_page.status_code) == (200, 200)  # view only
    assert "s3cr3t-x" not in app_page.content.decode()
    assert "tok3n-value" not in token_page.content.decode()
    assert "tok3n-value" not in token_list.content.decode()


def test_a_superuser_still_manages_addresses(root, owner):
    client = Client()
    client.force_login(root)
    response = client.post(
        "/admin/account/emailaddress/add/",
        {"user": owner.pk, "email": "second@example.com", "verified": "on", "primary": ""},
    )
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=owner, email="second@example.com").exists()
