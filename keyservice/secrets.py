"""Server secrets from the environment, validated before Django starts.

With DEBUG on, missing secrets fall back to fixed development values (never usable in
production: DEBUG off refuses them). With DEBUG off, a missing or malformed secret stops the
process with a message naming the variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")

# Development-only fallbacks: public, hence refused whenever DEBUG is off.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"  # noqa: S105
DEV_ENCRYPTION_KEY = "00" * 31 + "01"
DEV_DIGEST_SECRET = "dev-only-insecure-digest-secret-0123456789abcdef"  # noqa: S105


@dataclass(frozen=True)
class Secrets:
    django_secret_key: str
    encryption_key: bytes
    old_encryption_keys: tuple[bytes, ...]
    digest_secret: bytes


def _fail(name: str, problem: str) -> None:
    raise ImproperlyConfigured(f"{name} {problem}. Set it in the environment or in .env.")


def _hex_key(name: str, value: str) -> bytes:
    if not _HEX64.match(value):
        _fail(name, "must be 64 hexadecimal characters (32 random bytes)")
    return bytes.fromhex(value)


def load_secrets(env, *, debug: bool) -> Secrets:
    """Read and validate DJANGO_SECRET_KEY, KEYSERVICE_ENCRYPTION_KEY,
    KEYSERVICE_OLD_ENCRYPTION_KEYS and KEYSERVICE_DIGEST_SECRET."""
    secret_key = env.str("DJANGO_SECRET_KEY", default="")
    enc_hex = env.str("KEYSERVICE_ENCRYPTION_KEY", default="")
    old_raw = env.str("KEYSERVICE_OLD_ENCRYPTION_KEYS", default="")
    digest = env.str("KEYSERVICE_DIGEST_SECRET", default="")

    if debug:
        secret_key = secret_key or DEV_SECRET_KEY
        enc_hex = enc_hex or DEV_ENCRYPTION_KEY
        digest = digest or DEV_DIGEST_SECRET
    else:
        if len(secret_key) < 32 or secret_key == DEV_SECRET_KEY:
            _fail("DJANGO_SECRET_KEY", "is missing or shorter than 32 characters")
        if not enc_hex or enc_hex.lower() == DEV_ENCRYPTION_KEY:
            _fail("KEYSERVICE_ENCRYPTION_KEY", "is missing")
        if len(digest) < 32 or digest == DEV_DIGEST_SECRET:
            _fail("KEYSERVICE_DIGEST_SECRET", "is missing or shorter than 32 characters")

    encryption_key = _hex_key("KEYSERVICE_ENCRYPTION_KEY", enc_hex)
    old_keys = tuple(
        _hex_key("KEYSERVICE_OLD_ENCRYPTION_KEYS", part.strip())
        for part in old_raw.split(",")
        if part.strip()
    )
    digest_secret = digest.encode()
    if encryption_key in old_keys:
        _fail("KEYSERVICE_OLD_ENCRYPTION_KEYS", "must not repeat KEYSERVICE_ENCRYPTION_KEY")
    if digest_secret in (secret_key.encode(), enc_hex.lower().encode()):
        _fail("KEYSERVICE_DIGEST_SECRET", "must differ from the other secrets")
    if secret_key.lower() == enc_hex.lower():
        _fail("KEYSERVICE_ENCRYPTION_KEY", "must differ from DJANGO_SECRET_KEY")
    return Secrets(
        django_secret_key=secret_key,
        encryption_key=encryption_key,
        old_encryption_keys=old_keys,
        digest_secret=digest_secret,
    )
