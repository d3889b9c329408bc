"""Users for tests: accounts whose address is verified, as every account that may sign in.

Only an account with a verified address has a session (accounts.backends), so personas and
tests that sign someone in create them with `verified_user` (or `verify` an existing one).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress

from accounts.addresses import email_canonical
from accounts.models import User


def verify(user: User, email: str | None = None) -> User:
    """Record `email` (default: user.email) as a verified address of `user`, stored canonical
    as every address row is (accounts.addresses)."""
    EmailAddress.objects.update_or_create(
        user=user,
        email=email_canonical(email or user.email),
        defaults={"verified": True, "primary": email is None or email == user.email},
    )
    return user


def verified_user(email: str, password: str | None = None, **extra) -> User:
    return verify(User.objects.create_user(email, password, **extra))


# Alice, whose access an operator changes, and root, the operator (accounts/tests/conftest.py).
ALICE_EMAIL, ALICE_PASSWORD = "alice@example.com", "Alice-pass-123"
