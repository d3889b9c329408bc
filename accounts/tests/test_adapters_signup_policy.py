"""Self-service sign-up: open by default, or invite-only, optionally limited to domains."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.adapters import signup_allowed
from accounts.models import User
from teams.models import Invitation

pytestmark = pytest.mark.django_db


def signup(client, email):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": "A-long-pass-123", "password2": "A-long-pass-123"},
    )


def test_sign_up_is_open_by_default(client):
    response = signup(client, "new@example.com")
    assert (response.status_code, response["Location"]) == (302, "/accounts/confirm-email/")
    assert User.objects.filter(email="new@example.com").exists()


def answer(client, email) -> tuple[int, str, str]:
    """What a visitor sees after signing up as `email`: status, target, the next page."""
    response = signup(client, email)
    page = client.get(response["Location"]).content.decode()
    return response.status_code, response["Location"], page.replace(email, "<email>")


def test_invite_only_answers_the_same_for_strangers_and_invited_addresses(
    client, settings, owner, mailoutbox
):
    settings.KEYSERVICE_SIGNUP = "invite-only"
    Invitation.objects.create(
        owner=owner,
        email="guest@example.com",
        role="FULL",
        base_url="http://testserver/",
        expires_at=timezone.now() + timedelta(days=1),
    )

    stranger = answer(client, "stranger@example.com")
    client.cookies.clear()
    invited = answer(client, "guest@example.com")

    assert stranger == invited
    assert stranger[:2] == (302, "/accounts/confirm-email/")
    assert not User.objects.filter(email="stranger@example.com").exists()
    assert User.objects.filter(email="guest@example.com").exists()
    # Only the owner of each address learns which case it was, by email.
    by_recipient = {m.to[0]: m.subject for m in mailoutbox}
    assert "invitation" in by_recipient["stranger@example.com"].lower()
    assert "confirm" in by_recipient["guest@example.com"].lower()


def test_a_domain_list_limits_open_sign_up(settings):
    settings.KEYSERVICE_SIGNUP_DOMAINS = ["example.org"]
    assert signup_allowed("a@example.org")
    assert signup_allowed("A@EXAMPLE.ORG")
    assert not signup_allowed("a@example.com")
    assert not signup_allowed("a@evil-example.org")
    assert not signup_allowed("")
