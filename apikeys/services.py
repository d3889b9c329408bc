"""Writes for API keys: issue (rotate), decrypt. How a key stops working (replaced, revoked,
its overlap ended) is apikeys.revocation's; service tokens' writes are apikeys.service_tokens';
verification (a read) is apikeys.verifier.credentials.apikey_verify; expiry reminders and the
`expired` event are apikeys.expiry's."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Final, Literal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from apikeys import crypto
from apikeys.key_events import keyevent_create
from apikeys.lifetime import expiry_for, lifetime_allowed, lifetime_cap, lifetime_default
from apikeys.models import ApiKey, KeyEvent
from apikeys.overlap import overlap_allowed, overlap_end_for, overlap_label
from apikeys.refusals import KeyRefusal
from apikeys.revocation import keys_replace_current
from apikeys.usage.models import KeyUse
from core.batches import queryset_delete_in_batches
from core.errors import ApplicationError
from lifecycle.services import lifecycle_key_issued
from outbox.models import OutboxEmail
from outbox.services import outbox_email_create

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    plaintext: str = field(repr=False)  # never in a repr, a log line or a traceback


class _Default(Enum):
    LIFETIME = "default"


# apikey_issue's lifetime when its caller chose none: apikeys.lifetime.lifetime_default().
DEFAULT_LIFETIME: Final = _Default.LIFETIME
# What apikey_issue takes as a lifetime: days, None (never), or DEFAULT_LIFETIME.
Lifetime = int | None | Literal[_Default.LIFETIME]


def _lifetime_checked(days: Lifetime) -> int | None:
    if days is DEFAULT_LIFETIME:
        return lifetime_default()
    if not lifetime_allowed(days):
        cap = lifetime_cap()
        raise ApplicationError(
            KeyRefusal.LIFETIME_NOT_ALLOWED,
            "That key lifetime is not offered"
            + ("." if cap is None else f": keys here expire within {cap} days at most."),
        )
    return days


def _request_digest(nonce: str) -> str:
    return hashlib.sha256(b"key-request:" + nonce.encode()).hexdigest()


@transaction.atomic
def apikey_issue(
    *,
    user: User,
    actor: User | None = None,
    request_nonce: str | None = None,
    lifetime_days: Lifetime = DEFAULT_LIFETIME,
    overlap_seconds: int = 0,
) -> IssuedKey:
    """Create the user's new key and revoke the current one, in one transaction.

    `overlap_seconds`: keep the current key working that long (apikeys.overlap; it must be
    0 or one of overlap_choices(), else ApplicationError, OVERLAP_NOT_ALLOWED). 0, the
    platform's contract: it stops at once. Either way a previous key still in its overlap
    stops now (apikeys.revocation.keys_replace_current).

    `lifetime_days`: the key expires that many days from now (None: never); it must be one
    of apikeys.lifetime.lifetime_choices() (else ApplicationError, LIFETIME_NOT_ALLOWED).
    Left out: never, or the operator's cap when there is one.

    The user row is locked first, so concurrent requests by one user queue up and leave
    exactly one active key (the database's partial unique index enforces it as well).
    The key email is queued in the same transaction and enqueued on commit.

    `request_nonce` (the dashboard's one-time confirmation nonce) is consumed in the database:
    its digest is stored on the new key (a unique column), so one nonce issues at most one key
    however many requests carry it at once; the others raise ApplicationError
    (KeyRefusal.REQUEST_ALREADY_HANDLED).

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    days = _lifetime_checked(lifetime_days)
    if not overlap_allowed(overlap_seconds):
        raise ApplicationError(
            KeyRefusal.OVERLAP_NOT_ALLOWED,
            "Keeping the previous key working that long is not offered here.",
        )
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
    request_digest = None if request_nonce is None else _request_digest(request_nonce)
    # Under the user's lock, a concurrent request that won has committed: this sees its key.
    if request_digest and ApiKey.objects.filter(request_digest=request_digest).exists():
        raise ApplicationError(
            KeyRefusal.REQUEST_ALREADY_HANDLED, "This key request was already handled."
        )
    now = timezone.now()
    working_until = overlap_end_for(renewed_at=now, seconds=overlap_seconds)
    kept = keys_replace_current(user=user, actor=actor, working_until=working_until)
    plaintext = crypto.generate_key()
    kek_id, kek = crypto.current_kek()
    api_key = ApiKey.objects.create(
        user=user,
        ciphertext=crypto.encrypt(plaintext, kek),
        kek_id=kek_id,
        digest=crypto.digest(plaintext),
        hint=crypto.hint(plaintext),
        request_digest=request_digest,
        expires_at=expiry_for(issued_at=now, days=days),
    )
    details = [] if days is None else [f"expires after {days} days"]
    if kept is not None:
        more = f"for {overlap_label(overlap_seconds)} more"
        details.append(
            f"the previous key works {more if kept == working_until else 'until its expiry'}"
        )
    keyevent_create(
        kind=KeyEvent.Kind.ISSUED, key=api_key, user=user, actor=actor, detail="; ".join(details)
    )
    lifecycle_key_issued(user_public_id=user.public_id, key_hint=api_key.hint)
    apikey_email_enqueue(api_key=api_key, recipient=user.email)
    logger.info("api key %s (%s) issued for user %s", api_key.pk, api_key.hint, user.public_id)
    return IssuedKey(api_key=api_key, plaintext=plaintext)


def apikey_email_enqueue(*, api_key: ApiKey, recipient: str) -> OutboxEmail:
    """Queue the "your new API key" email (apikeys.emails composes it at send time); it is
    handed to Celery when the transaction commits."""
    return outbox_email_create(
        kind=ApiKey.EmailKind.NEW_KEY, recipient=recipient, subject_id=api_key.pk
    )


def apikey_decrypt(*, api_key: ApiKey, keyring: dict[str, bytes] | None = None) -> str:
    """The plaintext of a stored key (for the email worker and tests only).

    Raises crypto.DecryptionError when the row's KEK is not configured, the ciphertext was
    tampered with, or the result does not match the stored digest.
    """
    kek = (keyring if keyring is not None else crypto.keyring()).get(api_key.kek_id)
    if kek is None:
        raise crypto.DecryptionError(f"encryption key {api_key.kek_id} is not configured")
    plaintext = crypto.decrypt(api_key.ciphertext, kek)
    if not hmac.compare_digest(crypto.digest(plaintext), api_key.digest):
        raise crypto.DecryptionError("decrypted value does not match the stored digest")
    return plaintext


def keyevent_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete key audit events created before `before`, in batches."""
    return queryset_delete_in_batches(
        KeyEvent.objects.filter(created_at__lt=before), batch_size=batch_size
    )


def keyuse_dismiss(*, user: User, key_pk: int) -> bool:
    """Hide the "your previous key is still in use" notice of one of the user's retired keys
    until its next use. False when the user has no such notice (another user's key, say)."""
    updated = KeyUse.objects.filter(
        key_id=key_pk, key__user=user, key__revoked_at__isnull=False, retired_uses__gt=0
    ).update(dismissed_at=timezone.now())
    return updated == 1
