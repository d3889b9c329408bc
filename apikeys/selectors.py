from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from apikeys.models import ApiKey, ServiceToken


def apikey_current_for(*, user: User) -> ApiKey | None:
    """The user's unrevoked key, expired or not (ApiKey.has_expired; hint and dates only are
    meant for display), or None."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).first()


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
