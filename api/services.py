from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from api.models import ServiceToken
from api.tokens import token_digest, token_generate, token_hint


@dataclass(frozen=True)
class IssuedToken:
    service_token: ServiceToken
    plaintext: str = field(repr=False)


@transaction.atomic
def service_token_create(*, name: str) -> IssuedToken:
    """Create a token for an internal service; the plaintext exists only in the return value."""
    token = token_generate()
    row = ServiceToken.objects.create(name=name, digest=token_digest(token), hint=token_hint(token))
    return IssuedToken(service_token=row, plaintext=token)


def service_token_revoke(*, service_token: ServiceToken) -> bool:
    return bool(
        ServiceToken.objects.filter(pk=service_token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
