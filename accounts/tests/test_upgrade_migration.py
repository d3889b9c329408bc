"""Upgrading a database in place: users an operator created before sign-in required a verified
address (no EmailAddress row at all) keep signing in; allauth sign-ups keep their state."""

from __future__ import annotations

import pytest

from tests.support.migrations import migrate_to, migrate_to_latest

BEFORE = [
    ("accounts", "0002_project_webhooks"),
    ("account", "0009_emailaddress_unique_primary_email"),
]


@pytest.mark.django_db(transaction=True)
def test_operator_created_users_get_a_verified_address_and_unverified_sign_ups_stay_unverified(
    postgres,
):
    old = migrate_to(BEFORE)
    User = old.get_model("accounts", "User")
    EmailAddress = old.get_model("account", "EmailAddress")
    operator_made = User.objects.create(email="root@example.com", password="!")
    signed_up = User.objects.create(email="pending@example.com", password="!")
    EmailAddress.objects.create(user=signed_up, email=signed_up.email, verified=False)

    try:
        new = migrate_to_latest()
    finally:
        migrate_to_latest()

    rows = {
        (a.user_id, a.email, a.verified)
        for a in new.get_model("account", "EmailAddress").objects.all()
    }
    assert (operator_made.pk, "root@example.com", True) in rows
    assert (signed_up.pk, "pending@example.com", False) in rows
    assert not any(user == signed_up.pk and verified for user, _, verified in rows)
