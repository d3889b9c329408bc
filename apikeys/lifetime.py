"""How long a requested key may live: the lifetimes offered and the operator's cap.

A lifetime is a whole number of days, or None for a key that never expires. The offered
lifetimes are never, 30, 90 and 365 days; KEYSERVICE_KEY_MAX_LIFETIME_DAYS caps them: with a
cap, "never" and the lifetimes above it are neither offered nor accepted (a cap between the
standard lifetimes is offered itself, so a capped deployment always offers its longest).
apikeys.services.apikey_issue enforces it; the Request API Key page offers
`lifetime_choices()`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

STANDARD_LIFETIMES: tuple[int, ...] = (30, 90, 365)


def lifetime_cap() -> int | None:
    """The operator's cap in days (KEYSERVICE_KEY_MAX_LIFETIME_DAYS), or None for no cap."""
    cap: int | None = settings.KEYSERVICE_KEY_MAX_LIFETIME_DAYS
    return cap


def lifetime_choices() -> list[int | None]:
    """The lifetimes a user may choose, shortest first; None ("never") last when allowed."""
    cap = lifetime_cap()
    if cap is None:
        return [*STANDARD_LIFETIMES, None]
    days: list[int | None] = [d for d in STANDARD_LIFETIMES if d <= cap]
    return days if cap in days else [*days, cap]


def lifetime_default() -> int | None:
    """The lifetime of a key whose issuer chose none: never, or the cap when there is one."""
    return lifetime_cap()


def lifetime_allowed(days: int | None) -> bool:
    return days in lifetime_choices()


def lifetime_label(days: int | None) -> str:
    return "Never expires" if days is None else f"{days} days"


def expiry_for(*, issued_at: datetime, days: int | None) -> datetime | None:
    """The expiry instant of a key issued at `issued_at` with a lifetime of `days`."""
    return None if days is None else issued_at + timedelta(days=days)
