"""How a key stops working: replaced by a new one (at once, or after an overlap), revoked by
its owner or an operator, or its overlap ended.

Each path records its audit event (KeyEvent) and its lifecycle event in the transaction that
changes the row: `key.revoked` when a key stops working, `key.retiring` when a replaced key
keeps working until its overlap's end (apikeys.overlap). An overlap ends early — the key is
refused from that instant — when its owner requests another key or revokes theirs, when an
operator revokes it, when it is reported leaked or the account's access ends; otherwise the
verifier refuses it at `overlap_until` and the expiry scan records the end afterwards
(`overlaps_settle`). Ending an overlap empties `overlap_until`, under a conditional UPDATE,
so whichever path gets there first records it, once.

Every write here changes ApiKey rows, a tracked model (core.leasedcache): it announces the
change before its commit and after it, waits for every lease holder to drop what it changes,
and is refused with CacheUnavailable (nothing written) while the cache's Redis is down.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from apikeys.key_events import keyevent_create
from apikeys.models import ApiKey, KeyEvent
from apikeys.refusals import KeyRefusal
from apikeys.selectors import apikey_active_for
from core.errors import ApplicationError
from lifecycle.events import KeyRevokeReason
from lifecycle.services import lifecycle_key_retiring, lifecycle_key_revoked
from outbox.services import outbox_email_create

logger = logging.getLogger(__name__)


def _stopped(
    *,
    key: ApiKey,
    user: User,
    actor: User | None,
    kind: KeyEvent.Kind,
    detail: str,
    reason: KeyRevokeReason,
) -> None:
    """Record that `key` stopped working: its audit event and its `key.revoked`."""
    keyevent_create(kind=kind, key=key, user=user, actor=actor, detail=detail)
    lifecycle_key_revoked(user_public_id=user.public_id, key_hint=key.hint, reason=reason)


def keys_replace_current(
    *, user: User, actor: User | None, working_until: datetime | None
) -> datetime | None:
    """Revoke the user's active key(s) because a new one was requested: refused at once, or
    still accepted until `working_until` (no later than its own expiry). Ends any earlier
    overlap first (one previous key works at most). The caller holds the user's row lock.
    Until when a replaced key works; None when none does.

    Writes a tracked model: it announces what it changes (core.leasedcache), waits for every
    lease holder, and is refused with CacheUnavailable while the cache's Redis is down.
    """
    overlaps_end(
        user=user, actor=actor, reason=KeyRevokeReason.ROTATED, because="a newer key was requested"
    )
    now = timezone.now()
    active = list(ApiKey.objects.filter(user=user, revoked_at__isnull=True))
    kept: datetime | None = None
    for key in active:
        # Kept working no longer than the key's own expiry (an expired key stops at once).
        until = working_until
        if until is not None and key.expires_at is not None:
            until = min(until, key.expires_at) if key.expires_at > now else None
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=now, overlap_until=until)
        if until is None:
            _stopped(
                key=key,
                user=user,
                actor=actor,
                kind=KeyEvent.Kind.REVOKED,
                detail="rotated: a new key was requested",
                reason=KeyRevokeReason.ROTATED,
            )
        else:
            keyevent_create(
                kind=KeyEvent.Kind.OVERLAP_STARTED,
                key=key,
                user=user,
                actor=actor,
                detail=f"a new key was requested; this one works until {until:%Y-%m-%d %H:%M} UTC",
            )
            lifecycle_key_retiring(
                user_public_id=user.public_id, key_hint=key.hint, working_until=until
            )
            kept = until
    return kept


def overlaps_end(*, user: User, actor: User | None, reason: KeyRevokeReason, because: str) -> int:
    """End now every overlap of the user's replaced keys (each is refused from now on); how
    many ended. An overlap whose time had already run out is recorded as ended at its time.

    Writes a tracked model: it announces what it changes (core.leasedcache), waits for every
    lease holder, and is refused with CacheUnavailable while the cache's Redis is down.
    """
    keys = ApiKey.objects.filter(user=user, overlap_until__isnull=False).select_related("user")
    return sum(apikey_overlap_end(key=k, actor=actor, reason=reason, because=because) for k in keys)


def apikey_overlap_end(
    *, key: ApiKey, actor: User | None, reason: KeyRevokeReason, because: str | None
) -> bool:
    """Stop a replaced key still in its overlap now: empty its `overlap_until` and record
    why (`because`, or None when its time ran out). False when another path did first.

    Writes a tracked model: it announces what it changes (core.leasedcache), waits for every
    lease holder, and is refused with CacheUnavailable while the cache's Redis is down.
    """
    until = key.overlap_until
    if until is None or not ApiKey.objects.filter(pk=key.pk, overlap_until=until).update(
        overlap_until=None
    ):
        return False
    if until <= timezone.now() or because is None:
        reason, detail = KeyRevokeReason.ROTATED, f"its overlap ended at {until:%Y-%m-%d %H:%M} UTC"
    else:
        detail = f"its overlap was ended early: {because}"
    _stopped(
        key=key,
        user=key.user,
        actor=actor,
        kind=KeyEvent.Kind.OVERLAP_ENDED,
        detail=detail,
        reason=reason,
    )
    return True


def overlaps_settle(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Record the end of the overlaps that ran out by `now` (the expiry scan calls it): the
    verifier refused each key at its instant; this writes its `overlap_ended` audit event and
    its `key.revoked` (reason `rotated`), once. How many were recorded.

    Writes a tracked model: it announces what it changes (core.leasedcache), waits for every
    lease holder, and is refused with CacheUnavailable while the cache's Redis is down.
    """
    now = now or timezone.now()
    settled = 0
    while True:
        with transaction.atomic():
            keys = list(
                ApiKey.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(overlap_until__lte=now)
                .order_by("overlap_until", "pk")[:batch_size]
            )
            for key in keys:
                settled += apikey_overlap_end(
                    key=key, actor=None, reason=KeyRevokeReason.ROTATED, because=None
                )
        if len(keys) < batch_size:
            return settled


@transaction.atomic
def apikey_revoke(
    *,
    api_key: ApiKey,
    reason: KeyRevokeReason,
    actor: User | None = None,
    detail: str = "revoked",
) -> bool:
    """Revoke one key, `reason` telling the lifecycle subscribers why (`key.revoked`); a key
    in its overlap stops at once. Returns False when it had already stopped working.

    Writes a tracked model: it announces what it changes (core.leasedcache), waits for every
    lease holder, and is refused with CacheUnavailable while the cache's Redis is down.
    """
    updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        _stopped(
            key=api_key,
            user=api_key.user,
            actor=actor,
            kind=KeyEvent.Kind.REVOKED,
            detail=detail,
            reason=reason,
        )
        return True
    api_key.refresh_from_db(fields=["overlap_until"])
    return apikey_overlap_end(key=api_key, actor=actor, reason=reason, because=detail)


@transaction.atomic
def apikey_revoke_own(*, user: User, actor: User | None = None) -> ApiKey:
    """Revoke the user's active key without issuing another ("Revoke my key"); a previous key
    still in its overlap stops too.

    Under the user's row lock (as apikey_issue), so it cannot race a key request. The key is
    refused from the next request on; a `revoked` event names the actor, and the owner gets
    a notice email (the hint only, never the key). Raises ApplicationError (NO_ACTIVE_KEY)
    when there is no unrevoked, unexpired key.

    Writes a tracked model: it announces what it changes (core.leasedcache), waits for every
    lease holder, and is refused with CacheUnavailable while the cache's Redis is down.
    """
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
    api_key = apikey_active_for(user=user)
    if api_key is None:
        raise ApplicationError(KeyRefusal.NO_ACTIVE_KEY, "You have no active API key to revoke.")
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    _stopped(
        key=api_key,
        user=user,
        actor=actor,
        kind=KeyEvent.Kind.REVOKED,
        detail="revoked by its owner; no new key was issued",
        reason=KeyRevokeReason.REVOKED_BY_OWNER,
    )
    overlaps_end(
        user=user, actor=actor, reason=KeyRevokeReason.REVOKED_BY_OWNER, because="its owner revoked"
    )
    outbox_email_create(
        kind=ApiKey.EmailKind.REVOKE_NOTICE, recipient=user.email, subject_id=api_key.pk
    )
    logger.info("api key %s (%s) revoked by its owner %s", api_key.pk, api_key.hint, user.public_id)
    return api_key


@transaction.atomic
def apikey_overlap_end_own(*, user: User, actor: User | None = None) -> int:
    """Stop the user's previous key now, before its overlap's end ("Stop it now" on the key
    page). Under the user's row lock; how many overlaps ended (0: none was running).

    Writes a tracked model: it announces what it changes (core.leasedcache), waits for every
    lease holder, and is refused with CacheUnavailable while the cache's Redis is down.
    """
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
    return overlaps_end(
        user=user,
        actor=actor,
        reason=KeyRevokeReason.REVOKED_BY_OWNER,
        because="its owner stopped it",
    )
