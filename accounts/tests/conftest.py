"""Personas of the access-change tests: Alice, whose access changes, and root, an operator."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.support.accounts import ALICE_EMAIL, ALICE_PASSWORD, verified_user


@pytest.fixture
def alice(db) -> User:
    return verified_user(ALICE_EMAIL, ALICE_PASSWORD, name="Alice")


@pytest.fixture
def root(db) -> User:
    return verified_user("root@example.com", "Root-pass-123", is_staff=True, is_superuser=True)
