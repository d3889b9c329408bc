"""GitHub secret scanning's signatures: the public keys GitHub signs with, and the check.

GitHub signs each report with ECDSA (P-256, SHA-256) over the raw request body; the
`Github-Public-Key-Identifier` header names the key, `Github-Public-Key-Signature` carries
the DER signature in base64. GitHub publishes its keys as JSON (`{"public_keys":
[{"key_identifier", "key" (PEM), "is_current"}]}`) at KEYSERVICE_GITHUB_KEYS_URL.

No network call per request: the keys are kept in this process and, shared by every process,
in the cache (Redis) for KEYSERVICE_GITHUB_KEYS_CACHE_SECONDS. A key id that is not among them
(GitHub rotated its key) fetches the list again. Every fetch — the first, one when the copy
expired, one for an unknown key id, one after a failed or empty answer — passes one gate
(`_fetch_allowed`): at most once per KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS across all
processes (core.ratelimit) and in each process (so a down cache, where the limit fails open,
still cannot turn requests into a fetch each). A fetch that fails, or answers no usable key,
keeps the keys already known and is never cached.

The URL is an operator's setting, not user input, so the webhooks' SSRF guard
(core/outbound/address_guard.py, for customers' URLs) does not apply; it is fetched with
`requests`, a timeout, no redirects and a size limit, like Google's signing certs
(accounts/google).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field

import requests
import urllib3
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.cache import cache

from core.ratelimit import Rate, ratelimit_hit

logger = logging.getLogger(__name__)

KEY_ID_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"
MAX_KEYS_BYTES = 256 * 1024
_KEY_ID = re.compile(r"^[0-9A-Za-z._:-]{1,128}$")
_SIGNATURE = re.compile(r"^[0-9A-Za-z+/]{1,256}={0,2}$")
_CACHE_KEY = "github-scanning-keys:v1:"


class KeysUnavailable(Exception):
    """GitHub's public keys could not be fetched and none are known."""


@dataclass
class _KeySet:
    pems: dict[str, str] = field(default_factory=dict)  # key id → PEM
    loaded_at: float = 0.0  # monotonic; 0: never
    # monotonic time of this process's last fetch (of any kind, whatever it answered)
    refreshed_at: float = 0.0
    keys: dict[str, ec.EllipticCurvePublicKey] = field(default_factory=dict)


_lock = threading.Lock()
_sets: dict[str, _KeySet] = {}  # per URL (tests point the setting elsewhere)


def github_signature_verify(*, body: bytes, key_id: str | None, signature: str | None) -> bool:
    """Whether `signature` (the header's base64 DER) is GitHub's ECDSA P-256/SHA-256
    signature of `body` under the published key `key_id`. KeysUnavailable when no key is
    known and none could be fetched (the report cannot be checked now)."""
    if not (key_id and signature and _KEY_ID.match(key_id) and _SIGNATURE.match(signature)):
        return False
    try:
        der = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    public_key = _public_key(key_id)
    if public_key is None:
        return False
    try:
        public_key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _public_key(key_id: str) -> ec.EllipticCurvePublicKey | None:
    url = settings.KEYSERVICE_GITHUB_KEYS_URL
    with _lock:
        keyset = _sets.setdefault(url, _KeySet())
        age = time.monotonic() - keyset.loaded_at
        if not keyset.loaded_at or age > settings.KEYSERVICE_GITHUB_KEYS_CACHE_SECONDS:
            # This process's copy expired (or there is none): another process may have
            # fetched them meanwhile; else fetch, within the limit (the expired keys, if any,
            # stay in use until a fetch brings others).
            shared = cache.get(_CACHE_KEY + url)
            if isinstance(shared, dict) and shared:
                _install(keyset, shared)
            elif _fetch_allowed(url, keyset):
                _fetch_into(url, keyset)
        if key_id not in keyset.keys and _fetch_allowed(url, keyset):
            _fetch_into(url, keyset)  # GitHub may have rotated its key
        if not keyset.keys:
            raise KeysUnavailable(f"no GitHub public keys from {url}")
        return keyset.keys.get(key_id)


def _recently(moment: float) -> bool:
    interval = settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS
    return bool(moment) and time.monotonic() - moment < interval


def _fetch_allowed(url: str, keyset: _KeySet) -> bool:
    """Whether this process may fetch GitHub's keys now: once per refresh interval, in this
    process and (core.ratelimit) across processes, whatever the fetch is for and whatever
    the previous one answered. An allowed fetch takes the interval at once."""
    if _recently(keyset.refreshed_at):
        return False
    interval = max(1, int(settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS))
    rate = Rate(count=1, seconds=interval)
    if not ratelimit_hit(scope="github_keys_refresh", ident=url, rate=rate).allowed:
        return False
    keyset.refreshed_at = time.monotonic()
    return True


def _fetch_into(url: str, keyset: _KeySet) -> None:
    try:
        pems = github_keys_fetch(url=url)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        logger.warning("GitHub public keys not fetched from %s: %s", url, exc)
        return
    if not _install(keyset, pems):
        logger.warning("GitHub published no usable public key at %s: the known ones kept", url)
        return
    cache.set(_CACHE_KEY + url, keyset.pems, timeout=settings.KEYSERVICE_GITHUB_KEYS_CACHE_SECONDS)


def _install(keyset: _KeySet, pems: dict[str, str]) -> bool:
    """Use the usable keys of `pems`; False (the known keys kept) when there is none."""
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for key_id, pem in pems.items():
        try:
            key = load_pem_public_key(pem.encode())
        except (ValueError, TypeError, AttributeError):
            logger.warning("GitHub public key %s is not a PEM public key: ignored", key_id)
            continue
        if not (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"):
            logger.warning("GitHub public key %s is not an ECDSA P-256 key: ignored", key_id)
            continue
        keys[key_id] = key
    if not keys:
        return False
    keyset.pems = {k: pems[k] for k in keys}
    keyset.keys = keys
    keyset.loaded_at = time.monotonic()
    return True


def github_keys_fetch(*, url: str) -> dict[str, str]:
    """GitHub's published keys: key id → PEM. requests.RequestException or ValueError when
    the answer is not a 200 with a `public_keys` list (at most MAX_KEYS_BYTES)."""
    timeout = settings.KEYSERVICE_GITHUB_KEYS_TIMEOUT
    with requests.get(
        url,
        headers={"Accept": "application/json", "User-Agent": "keyservice-secret-scanning/1"},
        timeout=(timeout, timeout),
        allow_redirects=False,
        stream=True,
    ) as response:
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        raw = response.raw.read(MAX_KEYS_BYTES + 1, decode_content=True)
    if len(raw) > MAX_KEYS_BYTES:
        raise ValueError(f"answer larger than {MAX_KEYS_BYTES} bytes")
    document = json.loads(raw)
    entries = document.get("public_keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("no public_keys list")
    return {
        entry["key_identifier"]: entry["key"]
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("key_identifier"), str)
        and isinstance(entry.get("key"), str)
    }


def github_keys_forget() -> None:
    """Drop this process's copies (tests; the shared cache has its own expiry)."""
    with _lock:
        _sets.clear()
