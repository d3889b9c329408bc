from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from accounts.models import User
from apikeys.models import ApiKey, ServiceToken


def apikey_current_for(*, user: User) -> ApiKey | None:
    """The user's active key (hint and dates only are meant for display), or None."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).first()


def apikey_active_by_user(*, user_ids: Iterable[int]) -> dict[int, ApiKey]:
    """The active key of each of these users that has one (one query), by user pk."""
    keys = ApiKey.objects.filter(user_id__in=list(user_ids), revoked_at__isnull=True)
    return {key.user_id: key for key in keys}


def apikey_last_used_map(*, key_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of these keys was last used, by key pk; a key never used is absent.

    The hook the key usage work fills (issue 13, part 1: usage collected off the hot path).
    Until then nothing is recorded, so this answers {} and the pages show "—".
    """
    return {}


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
