"""Upgrading in place: outbox rows that referenced their key or invitation by foreign key
name it by subject_id afterwards, every row kept; going back restores the foreign keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.migrations import leaf_nodes, migrate_to, migrate_to_latest

BEFORE = ("outbox", "0003_outboxemail_leak_notice")
AFTER = ("outbox", "0004_outboxemail_subject")


def _with_outbox_at(node):
    """Every other app at its latest migration (its models as they are), the outbox at `node`."""
    return [leaf for leaf in leaf_nodes() if leaf[0] != "outbox"] + [node]


@pytest.mark.django_db(transaction=True)
def test_outbox_rows_keep_their_subject_across_the_upgrade_and_back(postgres):
    old = migrate_to(_with_outbox_at(BEFORE))
    User = old.get_model("accounts", "User")
    ApiKey = old.get_model("apikeys", "ApiKey")
    Invitation = old.get_model("teams", "Invitation")
    OutboxEmail = old.get_model("outbox", "OutboxEmail")
    user = User.objects.create(email="old@example.com", password="!")
    key = ApiKey.objects.create(
        user=user, ciphertext="0" * 32 + ":ab", kek_id="k1", digest="d" * 64, hint="spx_…abcd"
    )
    invitation = Invitation.objects.create(
        owner=user,
        email="new@example.com",
        role="FULL",
        base_url="http://testserver",
        expires_at=timezone.now() + timedelta(days=7),
    )
    made = [
        OutboxEmail.objects.create(kind="api_key", recipient=user.email, api_key=key, state="sent"),
        OutboxEmail.objects.create(kind="leak_notice", recipient=user.email, api_key=key),
        OutboxEmail.objects.create(
            kind="invitation", recipient=invitation.email, invitation=invitation
        ),
        OutboxEmail.objects.create(kind="api_key", recipient="none@example.com", state="failed"),
    ]
    expected = {
        (made[0].pk, "api_key", user.email, "sent", key.pk),
        (made[1].pk, "leak_notice", user.email, "pending", key.pk),
        (made[2].pk, "invitation", invitation.email, "pending", invitation.pk),
        (made[3].pk, "api_key", "none@example.com", "failed", None),
    }

    try:
        new = migrate_to(_with_outbox_at(AFTER))
        rows = new.get_model("outbox", "OutboxEmail").objects.values_list(
            "pk", "kind", "recipient", "state", "subject_id"
        )
        assert set(rows) == expected

        back = migrate_to(_with_outbox_at(BEFORE))
        rows = back.get_model("outbox", "OutboxEmail").objects.values_list(
            "pk", "api_key_id", "invitation_id"
        )
        assert set(rows) == {
            (made[0].pk, key.pk, None),
            (made[1].pk, key.pk, None),
            (made[2].pk, None, invitation.pk),
            (made[3].pk, None, None),
        }
    finally:
        migrate_to_latest()
