"""The optional overlap on renewal: how long a replaced key may keep working.

By the platform's contract a new key replaces the previous one at once. An operator may allow
an overlap (KEYSERVICE_KEY_OVERLAP_MAX_SECONDS, default 0: none): Request API Key then offers
to keep the previous key working for 5 minutes, 1 hour, 1 day or 1 week — those not above the
maximum, and the maximum itself when it falls between them. The replaced key is revoked at
renewal (`revoked_at`) and accepted until `ApiKey.overlap_until` by the one verifier
(apikeys.verifier.credentials), on every replica until that instant; apikeys.revocation ends
an overlap early.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

STANDARD_OVERLAPS: tuple[int, ...] = (300, 3600, 86400, 7 * 86400)


def overlap_max() -> int:
    """The operator's maximum in seconds; 0: no overlap is offered or accepted."""
    seconds: int = settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS
    return seconds


def overlap_choices() -> list[int]:
    """The overlaps a user may choose, in seconds, shortest first; 0 (none) is always allowed
    and not listed. Empty when the operator allows none."""
    top = overlap_max()
    if top <= 0:
        return []
    seconds = [s for s in STANDARD_OVERLAPS if s <= top]
    return seconds if top in seconds else [*seconds, top]


def overlap_allowed(seconds: int) -> bool:
    return seconds == 0 or seconds in overlap_choices()


def overlap_label(seconds: int) -> str:
    """ "1 hour", "90 minutes", "2 days": the largest whole unit."""
    for unit, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def overlap_end_for(*, renewed_at: datetime, seconds: int) -> datetime | None:
    """Until when a key replaced at `renewed_at` keeps working; None: it stops at once."""
    return renewed_at + timedelta(seconds=seconds) if seconds > 0 else None
