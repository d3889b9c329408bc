"""What apikeys does at the points of an account's life (accounts.hooks), registered by
keyservice.wiring: a key is a holding, an ended access revokes the active key, and the
identity changes of accounts are recorded as KeyEvent rows."""

from __future__ import annotations

from django.db.models import Q

from accounts.hooks import IdentityEvent
from accounts.models import User
from apikeys.key_events import keyevent_create
from apikeys.models import ApiKey, KeyEvent
from apikeys.revocation import apikey_revoke
from lifecycle.events import KeyRevokeReason


def apikey_held_by(*, user: User) -> bool:
    """Whether `user` ever had a key (revoked ones count)."""
    return ApiKey.objects.filter(user=user).exists()


def apikey_revoke_on_access_end(*, user: User, actor: User | None, because: str) -> None:
    """Revoke the active key of `user`, whose access ended `because`, and stop a previous key
    still in its overlap.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    for key in ApiKey.objects.filter(
        Q(revoked_at__isnull=True) | Q(overlap_until__isnull=False), user=user
    ):
        apikey_revoke(
            api_key=key,
            reason=KeyRevokeReason.ACCESS_ENDED,
            actor=actor,
            detail=f"revoked: {because}; the account requests a new key",
        )


def keyevent_identity_create(
    *, kind: IdentityEvent, user: User, actor: User | None, detail: str
) -> None:
    """Record an identity change of accounts as the KeyEvent of the same kind."""
    keyevent_create(kind=KeyEvent.Kind(kind), user=user, actor=actor, detail=detail)
