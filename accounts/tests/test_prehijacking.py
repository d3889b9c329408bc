"""Account pre-hijacking: nobody gets an account, a session or a key for an address they did
not prove, and the real owner of a squatted address ends up alone in their account."""

from __future__ import annotations

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.models import User
from apikeys.models import ApiKey, KeyEvent
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from tests.support.google_flow import sign_in_with_google, signed_in_user

pytestmark = pytest.mark.django_db
VICTIM = "victim@example.com"
SQUATTER_PASSWORD = "Squatter-pass-123"


def squatter_signs_up_with_password(client) -> User:
    response = client.post(
        "/accounts/signup/",
        {"email": VICTIM, "password1": SQUATTER_PASSWORD, "password2": SQUATTER_PASSWORD},
    )
    assert (response.status_code, response["Location"]) == (302, "/accounts/confirm-email/")
    return User.objects.get(email=VICTIM)


def password_sign_in(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def verify_call(client, token, key, user, project):
    return client.post(
        "/internal/v1/verify",
        json.dumps({"apiKey": key, "userId": user.public_id, "projectId": project.public_id}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def public_list(client, key, user):
    return client.get(
        "/pixelStripeApi/projects", {"apikey": key, "userId": user.public_id}, secure=True
    )


def test_a_password_squatter_gets_no_session_and_no_key(client):
    squatter = squatter_signs_up_with_password(client)

    assert SESSION_KEY not in client.session
    assert not EmailAddress.objects.filter(user=squatter, verified=True).exists()
    # Signing in with the password only re-sends the confirmation link.
    response = password_sign_in(client, VICTIM, SQUATTER_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_user(client) is None
    # However a session came to exist, the unverified account is anonymous everywhere.
    client.force_login(squatter)
    for path in ("/", "/keys/request/", "/team/", "/projects/"):
        assert client.get(path).status_code == 302, path
        assert client.get(path)["Location"].startswith("/accounts/login/")
    client.post("/keys/request/", {"nonce": "anything"})
    assert not ApiKey.objects.exists()


def test_the_victim_signing_in_with_verified_google_gets_a_fresh_account_of_their_own(
    client, google
):
    squatter = squatter_signs_up_with_password(client)
    squatter_session = Client()
    squatter_session.force_login(squatter)

    google.login_as(VICTIM, "Victor Victim")
    victim_browser = Client()
    response = sign_in_with_google(victim_browser, google)

    assert response.status_code == 302
    victim = signed_in_user(victim_browser)
    assert victim is not None and victim.pk != squatter.pk
    assert not User.objects.filter(pk=squatter.pk).exists()
    assert User.objects.filter(email=VICTIM).count() == 1
    assert [a.email for a in EmailAddress.objects.filter(user=victim, verified=True)] == [VICTIM]
    assert not victim.has_usable_password()
    # The squatter has nothing: no password, no session.
    assert signed_in_user(squatter_session) is None
    password_sign_in(client, VICTIM, SQUATTER_PASSWORD)
    assert signed_in_user(client) is None
    removed = KeyEvent.objects.get(kind=KeyEvent.Kind.UNPROVEN_REMOVED)
    assert (removed.user, removed.user_email) == (None, VICTIM)


def test_a_google_squatter_with_an_unverified_address_is_refused_and_the_victim_is_alone(
    client, google
):
    google.login_as(VICTIM, "Mallory", sub="mallory-sub", email_verified=False)
    response = sign_in_with_google(client, google)

    assert response.status_code == 403
    assert "address not verified" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not User.objects.exists() and not SocialAccount.objects.exists()

    google.login_as(VICTIM, "Victor Victim", sub="victim-sub")
    victim_browser = Client()
    sign_in_with_google(victim_browser, google)
    victim = signed_in_user(victim_browser)
    assert victim is not None
    assert list(SocialAccount.objects.values_list("user", "uid")) == [(victim.pk, "victim-sub")]


def test_email_authentication_ignores_an_unverified_address_held_by_an_active_account(
    client, google, owner, showroom
):
    # A legacy account holding the address unverified, with a project: it is not removed,
    # and the verified Google sign-in does not join it either.
    EmailAddress.objects.filter(user=owner).update(verified=False)
    google.login_as(owner.email, "Someone")

    sign_in_with_google(client, google)

    assert SESSION_KEY not in client.session
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(pk=owner.pk).exists()


def test_an_identity_joining_an_existing_account_ends_what_the_old_access_kept(
    client, google, owner, showroom
):
    token = service_token_create(name="gateway").plaintext
    key = apikey_issue(user=owner).plaintext
    assert verify_call(client, token, key, owner, showroom).status_code == 200
    assert public_list(client, key, owner).status_code == 200
    other_session = Client()
    other_session.force_login(owner)
    assert signed_in_user(other_session) == owner
    SocialAccount.objects.create(user=owner, provider="google", uid="earlier-identity")

    google.login_as(owner.email, "Olivia Owner", sub="new-identity")
    browser = Client()
    sign_in_with_google(browser, google)

    assert signed_in_user(browser) == owner
    # The old key stops working on the next request, on both APIs.
    assert verify_call(client, token, key, owner, showroom).status_code != 200
    assert public_list(client, key, owner).status_code == 401
    assert not ApiKey.objects.filter(user=owner, revoked_at__isnull=True).exists()
    # Every other session ended; every other identity detached.
    assert signed_in_user(other_session) is None
    assert list(SocialAccount.objects.filter(user=owner).values_list("uid", flat=True)) == [
        "new-identity"
    ]
    kinds = set(KeyEvent.objects.filter(user=owner).values_list("kind", flat=True))
    assert {"identity_merged", "sessions_ended", "social_detached", "revoked"} <= kinds
    # The browser that signed in stays signed in on later requests.
    assert browser.get("/").status_code == 200


def test_a_known_identity_signing_in_again_revokes_nothing(client, google, owner):
    google.login_as(owner.email, "Olivia Owner", sub="owner-sub")
    sign_in_with_google(client, google)
    client.post("/accounts/logout/")
    key = apikey_issue(user=owner)

    sign_in_with_google(client, google)

    assert signed_in_user(client) == owner
    key.api_key.refresh_from_db()
    assert key.api_key.is_active
