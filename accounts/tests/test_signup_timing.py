"""Sign-up does the same password-hashing work whatever the address: a new allowed address
(an account is created), an existing account, an uninvited address, one outside the allowed
domains. The hash is what made the allowed branch ~40x slower (PBKDF2: ~0.7 s vs ~0.02 s), so
counting hasher runs per branch is the timing class, without measuring wall-clock time."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from teams.invitations import invitation_create
from tests.support.accounts import verified_user

pytestmark = pytest.mark.django_db
PASSWORD = "A-long-pass-123"
HASHED: list[str] = []  # every password the hasher was asked to hash


class CountingHasher(MD5PasswordHasher):
    def encode(self, password: str, salt: str) -> str:
        HASHED.append(password)
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    HASHED.clear()


def hashes_for_sign_up(email: str) -> tuple[list[str], tuple[int, str]]:
    HASHED.clear()
    response = Client().post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    return list(HASHED), (response.status_code, response.get("Location", ""))


def assert_same_work(branches: dict[str, str]) -> None:
    results = {name: hashes_for_sign_up(email) for name, email in branches.items()}
    answers = {answer for _, answer in results.values()}
    assert answers == {(302, "/accounts/confirm-email/")}
    work = {name: hashed for name, (hashed, _) in results.items()}
    assert work == {name: [PASSWORD] for name in branches}, work


def test_invite_only_hashes_once_for_invited_uninvited_and_existing_addresses(
    settings, owner, outsider, mailoutbox
):
    settings.KEYSERVICE_SIGNUP = "invite-only"
    for email in ("invited@example.com", owner.email):
        invitation_create(
            owner=outsider, email=email, role="FULL", projects=[], base_url="http://testserver"
        )
    verified_user("member@example.com", "pw-member-123")

    assert_same_work(
        {
            "invited, new": "invited@example.com",
            "uninvited": "stranger@example.com",
            "existing, not invited": "member@example.com",
            "existing, invited": owner.email,
        }
    )


def test_open_sign_up_hashes_once_for_new_existing_and_unverified_addresses(
    settings, owner, mailoutbox
):
    settings.KEYSERVICE_SIGNUP = "open"
    hashes_for_sign_up("pending@example.com")  # an unverified account from an earlier sign-up

    assert_same_work(
        {
            "new": "new@example.com",
            "existing": owner.email,
            "existing, unverified": "pending@example.com",
        }
    )


def test_domain_limited_sign_up_hashes_once_inside_and_outside_the_domains(settings, mailoutbox):
    settings.KEYSERVICE_SIGNUP = "open"
    settings.KEYSERVICE_SIGNUP_DOMAINS = ["corp.example"]
    verified_user("staffer@corp.example", "pw-staffer-123")

    assert_same_work(
        {
            "inside": "new@corp.example",
            "inside, existing": "staffer@corp.example",
            "outside": "someone@other.example",
        }
    )
