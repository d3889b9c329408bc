"""With password sign-in on, sign-up does not tell which addresses have accounts."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
PASSWORD = "A-long-pass-123"


def sign_up(email: str) -> tuple[int, str, str]:
    """A fresh visitor signs up as `email`: status, redirect target, the page shown next
    (with the address itself replaced, the only thing allowed to differ)."""
    client = Client()
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    location = response.get("Location", "")
    page = client.get(location).content.decode() if location else response.content.decode()
    return response.status_code, location, page.replace(email, "<email>")


def test_sign_up_answers_the_same_for_an_existing_and_a_new_address(owner, mailoutbox):
    existing = sign_up(owner.email)
    new = sign_up("nobody@example.com")

    assert existing == new
    assert existing[:2] == (302, "/accounts/confirm-email/")
    assert "<email>" in existing[2]  # the page names the address, identically for both
    # The existing account is untouched; its owner is told by email, nobody else is.
    owner.refresh_from_db()
    assert owner.check_password("pw-owner-123")
    assert {m.to[0] for m in mailoutbox} == {owner.email, "nobody@example.com"}


def test_an_existing_unverified_sign_up_answers_the_same_as_a_new_one():
    first = sign_up("twice@example.com")
    second = sign_up("twice@example.com")
    assert first == second
