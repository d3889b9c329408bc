"""Audit rows outlive what they describe: deleting a user keeps their key events."""

from __future__ import annotations

import pytest

from apikeys.leaks.services import apikey_revoke_leaked
from apikeys.models import KeyEvent
from apikeys.revocation import apikey_revoke
from apikeys.services import apikey_issue
from lifecycle.events import KeyRevokeReason

pytestmark = pytest.mark.django_db


def test_deleting_a_user_keeps_their_events_with_who_it_was(owner):
    email, public_id = owner.email, owner.public_id
    first = apikey_issue(user=owner, actor=owner)
    second = apikey_issue(user=owner)  # rotates: revokes the first
    apikey_revoke_leaked(keys=[second.plaintext], reported_by="scanner")
    apikey_revoke(
        api_key=first.api_key, reason=KeyRevokeReason.REVOKED_BY_OWNER
    )  # already revoked: no event
    kinds = sorted(KeyEvent.objects.filter(user=owner).values_list("kind", flat=True))
    assert kinds == ["issued", "issued", "leak_revoked", "revoked"]

    owner.delete()

    events = list(KeyEvent.objects.all())
    assert sorted(e.kind for e in events) == kinds
    assert {(e.user_id, e.user_email, e.user_public_id) for e in events} == {
        (None, email, public_id)
    }
    assert {e.actor_id for e in events} == {None}
