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
    assert signup(client, "new@example.com").status_code == 302
    assert User.objects.filter(email="new@example.com").exists()


def test_invite_only_refuses_strangers_and_admits_invited_addresses(client, settings, owner):
    settings.KEYSERVICE_SIGNUP = "invite-only"
    response = signup(client, "stranger@example.com")
    assert "Sign-up is by invitation" in response.content.decode()
    assert not User.objects.filter(email="stranger@example.com").exists()
    Invitation.objects.create(
        owner=owner,
        email="guest@example.com",
        role="FULL",
        base_url="http://testserver/",
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert signup(client, "Guest@example.com").status_code == 302
    assert User.objects.filter(email="guest@example.com").exists()


def test_a_domain_list_limits_open_sign_up(settings):
    settings.KEYSERVICE_SIGNUP_DOMAINS = ["example.org"]
    assert signup_allowed("a@example.org")
    assert signup_allowed("A@EXAMPLE.ORG")
    assert not signup_allowed("a@example.com")
    assert not signup_allowed("a@evil-example.org")
    assert not signup_allowed("")
