from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from api.models import ServiceToken
from api.tokens import scopes_normalize, token_digest, token_generate, token_hint


@dataclass(frozen=True)
class IssuedToken:
    service_token: ServiceToken
    plaintext: str = field(repr=False)


@transaction.atomic
def service_token_create(*, name: str, scopes: Iterable[str] | None = None) -> IssuedToken:
    """Create a token for an internal service; the plaintext exists only in the return value.

    `scopes`: what it may call (api.models.Scope); only `verify` when none is given.
    Raises ValueError for an unknown scope."""
    token = token_generate()
    row = ServiceToken.objects.create(
        name=name,
        digest=token_digest(token),
        hint=token_hint(token),
        scopes=scopes_normalize(scopes),
    )
    return IssuedToken(service_token=row, plaintext=token)


def service_token_set_scopes(*, service_token: ServiceToken, scopes: Iterable[str]) -> str:
    """Replace a token's scopes (e.g. grant `revoke-leaked` to an existing scanner's token);
    effective on its next call. Returns the stored value."""
    value = scopes_normalize(scopes)
    ServiceToken.objects.filter(pk=service_token.pk).update(scopes=value)
    service_token.scopes = value
    return value


def service_token_revoke(*, service_token: ServiceToken) -> bool:
    return bool(
        ServiceToken.objects.filter(pk=service_token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
