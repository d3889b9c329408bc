from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from apikeys.models import ApiKey, ServiceToken
from apikeys.usage.models import KeyUsageDay, KeyUse

# A retired key's notice disappears after this long without a use.
NOTICE_QUIET = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class DayUses:
    day: date
    accepted: int
    refused: int


def apikey_current_for(*, user: User) -> ApiKey | None:
    """The user's unrevoked key, expired or not (ApiKey.has_expired; hint and dates only are
    meant for display), or None."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).first()


def apikey_overlapping_for(*, user: User) -> ApiKey | None:
    """The user's replaced key still working in its overlap on renewal (apikeys.overlap),
    or None."""
    return (
        ApiKey.objects.filter(user=user, overlap_until__gt=timezone.now())
        .exclude(expires_at__lte=timezone.now())
        .order_by("-overlap_until")
        .first()
    )


def apikey_active_by_user(*, user_ids: Iterable[int]) -> dict[int, ApiKey]:
    """The working key (unrevoked, unexpired) of each of these users that has one (one
    query), by user pk."""
    keys = ApiKey.objects.filter(user_id__in=list(user_ids), revoked_at__isnull=True).exclude(
        expires_at__lte=timezone.now()
    )
    return {key.user_id: key for key in keys}


def apikey_last_used_map(*, key_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of these keys was last used, by key pk; a key never used is absent (one
    query; usage lags by up to a minute, apikeys.usage.counting)."""
    return dict(KeyUse.objects.filter(key_id__in=list(key_ids)).values_list("key_id", "last_at"))


def apikey_active_for(*, user: User) -> ApiKey | None:
    """The user's key that works now (unrevoked and unexpired), or None."""
    return (
        ApiKey.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(expires_at__lte=timezone.now())
        .first()
    )


@dataclass(frozen=True, slots=True)
class ServiceIdentity:
    name: str
    scopes: frozenset[str]


def service_token_identity(*, digest: str) -> ServiceIdentity | None:
    """The name and scopes of the active service token with this digest, if any."""
    row = (
        ServiceToken.objects.filter(digest=digest, revoked_at__isnull=True)
        .values_list("name", "scopes")
        .first()
    )
    return None if row is None else ServiceIdentity(name=row[0], scopes=frozenset(row[1].split()))


def keyuse_for(*, key: ApiKey) -> KeyUse | None:
    """The key's last use (time, address, surface), or None if it was never used."""
    return KeyUse.objects.filter(key=key).first()


def key_usage_days(*, key: ApiKey, days: int = 30, today: date | None = None) -> list[DayUses]:
    """Accepted and refused uses per UTC day for the last `days` days, oldest first, days
    without uses included (one query)."""
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    found = {
        row.day: row for row in KeyUsageDay.objects.filter(key=key, day__gte=first, day__lte=today)
    }
    return [
        DayUses(
            day=day,
            accepted=found[day].accepted if day in found else 0,
            refused=found[day].refused if day in found else 0,
        )
        for day in (first + timedelta(days=i) for i in range(days))
    ]


def retired_key_notices(*, user: User, now: datetime | None = None) -> list[KeyUse]:
    """The user's retired keys used since they were replaced: used in the last 30 days and
    not dismissed since their last use ("your previous key … was used N times")."""
    now = now or timezone.now()
    return list(
        KeyUse.objects.select_related("key")
        .filter(
            key__user=user,
            key__revoked_at__isnull=False,
            retired_uses__gt=0,
            retired_last_at__gte=now - NOTICE_QUIET,
        )
        .filter(Q(dismissed_at__isnull=True) | Q(dismissed_at__lt=F("retired_last_at")))
        .order_by("-retired_last_at")
    )
