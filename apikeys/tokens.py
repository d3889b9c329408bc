"""Service tokens: `kst_` + 43 base62 characters (256 bits). Stored as an HMAC digest."""

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import TypeGuard

from django.conf import settings

from apikeys.crypto import BASE62
from apikeys.models import DEFAULT_SCOPES, Scope

PREFIX = "kst_"
_TOKEN_RE = re.compile(r"^kst_[0-9A-Za-z]{43}$")


def token_generate() -> str:
    return PREFIX + "".join(secrets.choice(BASE62) for _ in range(43))


def token_is_well_formed(token: object) -> TypeGuard[str]:
    return isinstance(token, str) and _TOKEN_RE.match(token) is not None


def token_digest(token: str) -> str:
    # Domain-separated from API key digests, which use the same server secret.
    message = b"service-token:" + token.encode()
    return hmac.new(settings.KEYSERVICE_DIGEST_SECRET, message, hashlib.sha256).hexdigest()


def token_hint(token: str) -> str:
    return f"{PREFIX}…{token[-4:]}"


def scopes_normalize(scopes: Iterable[str] | None) -> str:
    """Known scope names, deduplicated and sorted, space-separated; `verify` alone when none.

    Raises ValueError naming an unknown scope."""
    chosen = set(scopes or ()) or set(DEFAULT_SCOPES)
    unknown = sorted(chosen - set(Scope.values))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; known: {', '.join(Scope.values)}")
    return " ".join(sorted(chosen))
