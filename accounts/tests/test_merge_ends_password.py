"""An identity joining an existing account makes its password unusable: whoever set it (a
squatter whose sign-up the owner confirmed, an operator who pre-created the account) cannot
sign in again afterwards, and no key they obtained works. The owner sets a password through
password reset."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from apikeys.models import KeyEvent
from apikeys.service_tokens import service_token_create
from teams.invitations import invitation_accept, invitation_create
from tests.support.accounts import verified_user
from tests.support.google_flow import sign_in_with_google, signed_in_user

pytestmark = pytest.mark.django_db
VICTIM = "victim@example.com"
SQUATTER_PASSWORD = "Squatter-pass-123"


def password_sign_in(email: str, password: str) -> Client:
    client = Client()
    client.post("/accounts/login/", {"login": email, "password": password})
    return client


def key_requested_in_dashboard(client: Client) -> str:
    """The signed-in browser asks for a key on /keys/request/, as a person would."""
    page = client.get("/keys/request/").content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce is not None
    page = client.post("/keys/request/", {"nonce": nonce.group(1)}).content.decode()
    key = re.search(r"(spx_[A-Za-z0-9_\-]+)", page)
    assert key is not None
    return key.group(1)


def verify(key: str, user: User, project) -> int:
    token = service_token_create(name=f"gateway-{secrets.token_hex(4)}").plaintext
    response = Client().post(
        "/internal/v1/verify",
        json.dumps({"apiKey": key, "userId": user.public_id, "projectId": project.public_id}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return response.status_code


def victim_signs_in_with_google(google) -> tuple[Client, User]:
    google.login_as(VICTIM, "Victor Victim", sub="victim-sub")
    browser = Client()
    sign_in_with_google(browser, google)
    victim = signed_in_user(browser)
    assert victim is not None
    return browser, victim


def victim_joins_showroom(owner, showroom, victim: User) -> None:
    invitation = invitation_create(
        owner=owner, email=VICTIM, role="FULL", projects=[showroom], base_url="http://testserver"
    )
    invitation_accept(invitation=invitation, user=victim)


def assert_the_squatter_is_out(victim: User, showroom, keys: list[str]) -> None:
    victim.refresh_from_db()
    assert not victim.has_usable_password()
    assert signed_in_user(password_sign_in(VICTIM, SQUATTER_PASSWORD)) is None
    for key in keys:
        assert verify(key, victim, showroom) == 401
    merged = KeyEvent.objects.get(kind=KeyEvent.Kind.IDENTITY_MERGED, user=victim)
    assert "password made unusable" in merged.detail


def test_an_operator_who_pre_created_the_account_loses_its_password_when_the_owner_merges(
    google, owner, showroom
):
    # The minimum Django needs to add a user: add_user + change_user. The add form vouches
    # for the address, so the victim's Google sign-in joins this very account.
    clerk = verified_user("clerk@example.com", "Clerk-pass-123", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["add_user", "change_user", "view_user"])
    )
    admin = Client()
    admin.force_login(clerk)
    admin.post(
        "/admin/accounts/user/add/",
        {
            "email": VICTIM,
            "name": "",
            "password1": SQUATTER_PASSWORD,
            "password2": SQUATTER_PASSWORD,
            "usable_password": "true",
        },
    )
    precreated = User.objects.get(email=VICTIM)
    assert precreated.check_password(SQUATTER_PASSWORD)
    squatter = password_sign_in(VICTIM, SQUATTER_PASSWORD)
    early_key = key_requested_in_dashboard(squatter)

    browser, victim = victim_signs_in_with_google(google)
    victim_joins_showroom(owner, showroom, victim)

    assert victim.pk == precreated.pk
    assert signed_in_user(squatter) is None
    assert_the_squatter_is_out(victim, showroom, [early_key])
    assert signed_in_user(browser) == victim  # the owner's own session holds


def test_a_squatter_whose_sign_up_the_victim_confirmed_cannot_sign_in_after_the_merge(
    google, owner, showroom, mailoutbox
):
    squatter = Client()
    squatter.post(
        "/accounts/signup/",
        {"email": VICTIM, "password1": SQUATTER_PASSWORD, "password2": SQUATTER_PASSWORD},
    )
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+)", mailoutbox[-1].body)
    Client().post(link.group(1))  # the victim confirms what looks like their own sign-up
    squatter = password_sign_in(VICTIM, SQUATTER_PASSWORD)
    assert signed_in_user(squatter) is not None
    early_key = key_requested_in_dashboard(squatter)

    browser, victim = victim_signs_in_with_google(google)
    victim_joins_showroom(owner, showroom, victim)

    assert signed_in_user(squatter) is None
    assert_the_squatter_is_out(victim, showroom, [early_key])
    # And no new key either: without a session, /keys/request/ issues nothing.
    again = password_sign_in(VICTIM, SQUATTER_PASSWORD)
    assert again.get("/keys/request/").status_code == 302
    assert signed_in_user(browser) == victim


def test_the_owner_sets_a_password_again_through_password_reset(google, mailoutbox):
    verified_user(VICTIM, SQUATTER_PASSWORD)
    victim_signs_in_with_google(google)

    Client().post("/accounts/password/reset/", {"email": VICTIM})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mailoutbox[-1].body)
    reset = Client()
    form_url = reset.get(link.group(1))["Location"]
    reset.post(form_url, {"password1": "Owners-own-pass-456", "password2": "Owners-own-pass-456"})

    assert signed_in_user(password_sign_in(VICTIM, "Owners-own-pass-456")) is not None
    assert signed_in_user(password_sign_in(VICTIM, SQUATTER_PASSWORD)) is None
