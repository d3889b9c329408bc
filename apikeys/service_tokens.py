"""Writes for service tokens, the credentials of internal services on /internal/v1: create,
change scopes, revoke. Each is recorded as a key event (apikeys.key_events, by `actor`, `via`
what). The token's plaintext exists only in IssuedToken; the row keeps its digest and hint
(apikeys.tokens)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from apikeys.key_events import keyevent_token_create
from apikeys.models import KeyEvent, ServiceToken
from apikeys.tokens import scopes_normalize, token_digest, token_generate, token_hint


@dataclass(frozen=True)
class IssuedToken:
    service_token: ServiceToken
    plaintext: str = field(repr=False)


@transaction.atomic
def service_token_create(
    *,
    name: str,
    scopes: Iterable[str] | None = None,
    actor: User | None = None,
    via: str = "",
) -> IssuedToken:
    """Create a token for an internal service; the plaintext exists only in the return value.

    `scopes`: what it may call (apikeys.models.Scope); only `verify` when none is given.
    Recorded (`token_created`, by `actor`: an operator, None for the system; `via` says
    through what), in this transaction. Raises ValueError for an unknown scope.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    token = token_generate()
    row = ServiceToken.objects.create(
        name=name,
        digest=token_digest(token),
        hint=token_hint(token),
        scopes=scopes_normalize(scopes),
    )
    keyevent_token_create(
        kind=KeyEvent.Kind.TOKEN_CREATED,
        service_token=row,
        actor=actor,
        detail=_via(f"scopes {row.scopes}", via),
    )
    return IssuedToken(service_token=row, plaintext=token)


@transaction.atomic
def service_token_set_scopes(
    *,
    service_token: ServiceToken,
    scopes: Iterable[str],
    actor: User | None = None,
    via: str = "",
) -> str:
    """Replace a token's scopes (e.g. grant `revoke-leaked` to an existing scanner's token);
    effective on its next call. A change is recorded (`token_scopes_changed`, from and to, by
    `actor`). Returns the stored value.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    value = scopes_normalize(scopes)
    before = (
        ServiceToken.objects.select_for_update()
        .values_list("scopes", flat=True)
        .get(pk=service_token.pk)
    )
    service_token.scopes = value
    if before == value:
        return value
    ServiceToken.objects.filter(pk=service_token.pk).update(scopes=value)
    keyevent_token_create(
        kind=KeyEvent.Kind.TOKEN_SCOPES_CHANGED,
        service_token=service_token,
        actor=actor,
        detail=_via(f"scopes {before} -> {value}", via),
    )
    return value


@transaction.atomic
def service_token_revoke(
    *, service_token: ServiceToken, actor: User | None = None, via: str = ""
) -> bool:
    """Revoke a token: refused from its next call. Recorded (`token_revoked`, by `actor`).
    Returns False when it was revoked already.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    revoked = ServiceToken.objects.filter(pk=service_token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        keyevent_token_create(
            kind=KeyEvent.Kind.TOKEN_REVOKED,
            service_token=service_token,
            actor=actor,
            detail=_via("revoked", via),
        )
    return bool(revoked)


def _via(what: str, via: str) -> str:
    return f"{what} ({via})" if via else what
