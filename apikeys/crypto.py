"""Key format, encryption at rest and lookup digests. Pure functions: no database here.

- Key: `{prefix}{43 base62 chars = 256 bits}{6 base62 chars = CRC32 of what precedes}`.
- At rest: AES-256-CBC, random 16-byte IV, PKCS7 → `{iv_hex}:{encrypted_hex}`, under a
  versioned key-encryption key (KEK) whose id is stored beside the ciphertext.
- Lookup: HMAC-SHA256(digest secret, key) in hex, unique-indexed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache
from typing import TypeGuard

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from core.base62 import BASE62, CHECKSUM_CHARS, crc_checksum

RANDOM_CHARS = 43  # 62**43 > 2**256
HINT_TAIL = 4


class DecryptionError(Exception):
    """The stored value could not be decrypted (tampered, malformed, or unknown KEK)."""


def checksum(body: str) -> str:
    """The key's last 6 characters: the base62 CRC32 of everything before them (core.base62,
    the one definition the log filter recognises keys by too)."""
    return crc_checksum(body)


def key_prefix() -> str:
    return settings.KEYSERVICE_KEY_PREFIX


@lru_cache(maxsize=8)
def _key_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(
        rf"^{re.escape(prefix)}[0-9A-Za-z]{{{RANDOM_CHARS}}}[0-9A-Za-z]{{{CHECKSUM_CHARS}}}$"
    )


def generate_key() -> str:
    body = key_prefix() + "".join(secrets.choice(BASE62) for _ in range(RANDOM_CHARS))
    return body + checksum(body)


def is_well_formed(key: object) -> TypeGuard[str]:
    """Format and checksum only: a typo or a random string is rejected without any query."""
    if not isinstance(key, str) or not _key_pattern(key_prefix()).match(key):
        return False
    body, given = key[:-CHECKSUM_CHARS], key[-CHECKSUM_CHARS:]
    return hmac.compare_digest(checksum(body), given)


def hint(key: str) -> str:
    """Non-secret display form: the prefix and the last four characters."""
    return f"{key_prefix()}…{key[-HINT_TAIL:]}"


def digest(key: str) -> str:
    return hmac.new(settings.KEYSERVICE_DIGEST_SECRET, key.encode(), hashlib.sha256).hexdigest()


def kek_id(kek: bytes) -> str:
    """A non-secret, stable id for a key-encryption key (first 8 hex of an HMAC of it)."""
    return hmac.new(kek, b"keyservice key-encryption-key id", hashlib.sha256).hexdigest()[:8]


def current_kek() -> tuple[str, bytes]:
    kek = settings.KEYSERVICE_ENCRYPTION_KEY
    return kek_id(kek), kek


def keyring() -> dict[str, bytes]:
    """Every KEK that may decrypt: the current one and the older ones still configured."""
    keys = (settings.KEYSERVICE_ENCRYPTION_KEY, *settings.KEYSERVICE_OLD_ENCRYPTION_KEYS)
    return {kek_id(k): k for k in keys}


def encrypt(plaintext: str, kek: bytes) -> str:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(kek), modes.CBC(iv)).encryptor()
    return f"{iv.hex()}:{(encryptor.update(data) + encryptor.finalize()).hex()}"


_STORED_RE = re.compile(r"^[0-9a-f]{32}:(?:[0-9a-f]{32})+$")


def decrypt(stored: str, kek: bytes) -> str:
    if not _STORED_RE.match(stored):
        raise DecryptionError("stored value is not {iv_hex}:{encrypted_hex}")
    iv_hex, data_hex = stored.split(":")
    decryptor = Cipher(algorithms.AES(kek), modes.CBC(bytes.fromhex(iv_hex))).decryptor()
    try:
        padded = decryptor.update(bytes.fromhex(data_hex)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode()
    except ValueError:  # bad padding or not UTF-8: wrong key or tampered data
        raise DecryptionError("ciphertext does not decrypt under this key") from None
