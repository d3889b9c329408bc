"""The expiry scan: reminders 7 days and 1 day before a key expires, and its `expired` event.

Correctness never waits for it: the verifier refuses a key from its expiry instant on
(apikeys.verifier.credentials). The scan (the Celery beat task apikeys.tasks.apikey_expiry_scan,
every KEYSERVICE_KEY_EXPIRY_SCAN_SECONDS) only tells people: it moves each unrevoked, expiring
key forward through ApiKey.ExpiryStage (none → 7-day reminder → 1-day reminder → expired), in
batches under `SELECT … FOR UPDATE SKIP LOCKED`. A stage only moves forward, in the same
transaction as the outbox row or the audit event it stands for, so however many scans run at
once, each reminder is queued once and each expiry recorded once. A key that enters the last day
before any reminder was queued (e.g. the scan was stopped) gets the 1-day reminder only; one
already expired gets no reminder, only its event. Rotated and revoked keys are left alone, and a
reminder whose key was rotated or revoked before it was sent is skipped by its composer.
The scan also records the end of each overlap on renewal that ran out (apikeys.revocation
`overlaps_settle`: the verifier refused the key at its instant; this tells people).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apikeys.key_events import keyevent_new
from apikeys.models import ApiKey, KeyEvent
from apikeys.revocation import overlaps_settle
from lifecycle.events import KeyRevokeReason
from lifecycle.services import lifecycle_key_revoked
from outbox.services import outbox_email_create

logger = logging.getLogger(__name__)

Stage = ApiKey.ExpiryStage
BATCH_SIZE = 200
WEEK_BEFORE = timedelta(days=7)
DAY_BEFORE = timedelta(days=1)
_EMAIL = {Stage.WEEK: ApiKey.EmailKind.EXPIRY_WEEK, Stage.DAY: ApiKey.EmailKind.EXPIRY_DAY}


@dataclass(frozen=True)
class ExpiryScan:
    week_reminders: int = 0
    day_reminders: int = 0
    expired: int = 0
    overlaps_ended: int = 0


def _window(stage: Stage, now: datetime) -> Q:
    """The expiring keys that belong in `stage` at `now`."""
    if stage is Stage.EXPIRED:
        return Q(expires_at__lte=now)
    if stage is Stage.DAY:
        return Q(expires_at__gt=now, expires_at__lte=now + DAY_BEFORE)
    return Q(expires_at__gt=now + DAY_BEFORE, expires_at__lte=now + WEEK_BEFORE)


def _advance_batch(*, stage: Stage, now: datetime, batch_size: int) -> int:
    """Move up to `batch_size` keys into `stage`, queuing its email or recording its event."""
    with transaction.atomic():
        keys = list(
            ApiKey.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(_window(stage, now), revoked_at__isnull=True, expiry_stage__lt=stage)
            .order_by("expires_at", "pk")[:batch_size]
        )
        if not keys:
            return 0
        ApiKey.objects.filter(pk__in=[k.pk for k in keys]).update(expiry_stage=stage)
        if stage is Stage.EXPIRED:
            KeyEvent.objects.bulk_create(
                keyevent_new(
                    kind=KeyEvent.Kind.EXPIRED,
                    key=k,
                    user=k.user,
                    detail=f"expired at {k.expires_at:%Y-%m-%d %H:%M:%S} UTC",
                )
                for k in keys
            )
            for k in keys:  # announced when the scan sees it (verify refused it at the instant)
                lifecycle_key_revoked(
                    user_public_id=k.user.public_id, key_hint=k.hint, reason=KeyRevokeReason.EXPIRED
                )
        else:
            for k in keys:
                outbox_email_create(kind=_EMAIL[stage], recipient=k.user.email, subject_id=k.pk)
    return len(keys)


def apikey_expiry_scan(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> ExpiryScan:
    """Queue the due reminders and record the keys that expired, as of `now` (default: the
    clock). Safe to run concurrently and repeatedly: it does each thing once.

    Ending overlaps changes ApiKey rows: that step announces what it changes
    (core.leasedcache), waits for every lease holder, and is refused with CacheUnavailable
    while the cache's Redis is down (the reminders and expiries are not tracked writes)."""
    now = now or timezone.now()
    done: dict[Stage, int] = {}
    for stage in (Stage.EXPIRED, Stage.DAY, Stage.WEEK):
        done[stage] = 0
        while moved := _advance_batch(stage=stage, now=now, batch_size=batch_size):
            done[stage] += moved
    scan = ExpiryScan(
        week_reminders=done[Stage.WEEK],
        day_reminders=done[Stage.DAY],
        expired=done[Stage.EXPIRED],
        overlaps_ended=overlaps_settle(now=now, batch_size=batch_size),
    )
    if any(done.values()) or scan.overlaps_ended:
        logger.info(
            "key expiry scan: %s 7-day and %s 1-day reminder(s) queued, %s key(s) expired, "
            "%s overlap(s) ended",
            scan.week_reminders,
            scan.day_reminders,
            scan.expired,
            scan.overlaps_ended,
        )
    return scan
