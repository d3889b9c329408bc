"""Writes and checks for API keys: issue (rotate), revoke, verify, decrypt."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from apikeys import crypto
from apikeys.audit import keyevent_create, keyevent_new
from apikeys.models import ApiKey, KeyEvent
from keyservice.batches import queryset_delete_in_batches
from outbox.models import OutboxEmail
from outbox.services import outbox_email_create, outbox_prune
from webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    plaintext: str = field(repr=False)  # never in a repr, a log line or a traceback


class KeyRequestAlreadyHandled(Exception):
    """The dashboard request (its one-time nonce) has issued a key already."""


def _request_digest(nonce: str) -> str:
    return hashlib.sha256(b"key-request:" + nonce.encode()).hexdigest()


@transaction.atomic
def apikey_issue(
    *, user: User, actor: User | None = None, request_nonce: str | None = None
) -> IssuedKey:
    """Create the user's new key and revoke the current one, in one transaction.

    The user row is locked first, so concurrent requests by one user queue up and leave
    exactly one active key (the database's partial unique index enforces it as well).
    The key email is queued in the same transaction and enqueued on commit.

    `request_nonce` (the dashboard's one-time confirmation nonce) is consumed in the database:
    its digest is stored on the new key (a unique column), so one nonce issues at most one key
    however many requests carry it at once; the others raise KeyRequestAlreadyHandled.
    """
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
    request_digest = None if request_nonce is None else _request_digest(request_nonce)
    # Under the user's lock, a concurrent request that won has committed: this sees its key.
    if request_digest and ApiKey.objects.filter(request_digest=request_digest).exists():
        raise KeyRequestAlreadyHandled
    _revoke_active(user=user, actor=actor, detail="rotated: a new key was requested")
    plaintext = crypto.generate_key()
    kek_id, kek = crypto.current_kek()
    api_key = ApiKey.objects.create(
        user=user,
        ciphertext=crypto.encrypt(plaintext, kek),
        kek_id=kek_id,
        digest=crypto.digest(plaintext),
        hint=crypto.hint(plaintext),
        request_digest=request_digest,
    )
    keyevent_create(kind=KeyEvent.Kind.ISSUED, key=api_key, user=user, actor=actor)
    apikey_email_enqueue(api_key=api_key, recipient=user.email)
    logger.info("api key %s (%s) issued for user %s", api_key.pk, api_key.hint, user.public_id)
    return IssuedKey(api_key=api_key, plaintext=plaintext)


def apikey_email_enqueue(*, api_key: ApiKey, recipient: str) -> OutboxEmail:
    """Queue the "your new API key" email (apikeys.emails composes it at send time); it is
    handed to Celery when the transaction commits."""
    return outbox_email_create(
        kind=ApiKey.EmailKind.NEW_KEY, recipient=recipient, subject_id=api_key.pk
    )


def _revoke_active(*, user: User, actor: User | None, detail: str) -> int:
    now = timezone.now()
    ids = list(
        ApiKey.objects.filter(user=user, revoked_at__isnull=True).values_list("id", flat=True)
    )
    if not ids:
        return 0
    ApiKey.objects.filter(id__in=ids).update(revoked_at=now)
    KeyEvent.objects.bulk_create(
        keyevent_new(
            kind=KeyEvent.Kind.REVOKED, key_id=key_id, user=user, actor=actor, detail=detail
        )
        for key_id in ids
    )
    return len(ids)


@transaction.atomic
def apikey_revoke(*, api_key: ApiKey, actor: User | None = None, detail: str = "revoked") -> bool:
    """Revoke one key. Returns False when it was already revoked."""
    updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        keyevent_create(
            kind=KeyEvent.Kind.REVOKED, key=api_key, user=api_key.user, actor=actor, detail=detail
        )
    return bool(updated)


class VerifyFailure(StrEnum):
    INVALID_KEY = "Unauthorized: Invalid API Key"
    INVALID_USER = "Invalid User"


@dataclass(frozen=True)
class Verification:
    user_pk: int | None = None
    user_public_id: str | None = None
    failure: VerifyFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


_INVALID_KEY = Verification(failure=VerifyFailure.INVALID_KEY)
_INVALID_USER = Verification(failure=VerifyFailure.INVALID_USER)


def apikey_verify(*, key: object, user_public_id: object) -> Verification:
    """Is `key` an active key of an active user, and does it belong to `user_public_id`?

    A malformed key or a bad checksum is rejected without touching the database; otherwise
    one indexed lookup by digest, then constant-time comparisons. A deactivated user's key
    (User.is_active false) is an unknown key, like in api.selectors.credential_lookup.
    """
    if not crypto.is_well_formed(key):
        return _INVALID_KEY
    digest = crypto.digest(key)  # type: ignore[arg-type]
    row = (
        ApiKey.objects.filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .values_list("digest", "user_id", "user__public_id")
        .first()
    )
    if row is None or not hmac.compare_digest(row[0], digest):
        return _INVALID_KEY
    _, user_pk, owner_public_id = row
    if not isinstance(user_public_id, str) or not hmac.compare_digest(
        owner_public_id.encode(), user_public_id.encode()
    ):
        return _INVALID_USER
    return Verification(user_pk=user_pk, user_public_id=owner_public_id)


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


PRUNE_BATCH_SIZE = 1000


@dataclass(frozen=True)
class Pruned:
    key_events: int
    outbox_emails: int
    webhook_deliveries: int


def history_prune(*, now: datetime | None = None, batch_size: int = PRUNE_BATCH_SIZE) -> Pruned:
    """Delete history past its retention (KEYSERVICE_*_RETENTION_DAYS), in batches: key events,
    sent/skipped outbox emails, delivered webhook deliveries (with their attempts). Pending
    and failed emails and deliveries are never deleted."""
    now = now or timezone.now()
    pruned = Pruned(
        key_events=keyevent_prune(
            before=_cutoff(now, "KEYSERVICE_AUDIT_RETENTION_DAYS"), batch_size=batch_size
        ),
        outbox_emails=outbox_prune(
            before=_cutoff(now, "KEYSERVICE_OUTBOX_RETENTION_DAYS"), batch_size=batch_size
        ),
        webhook_deliveries=queryset_delete_in_batches(
            WebhookDelivery.objects.filter(
                state=WebhookDelivery.State.DELIVERED,
                created_at__lt=_cutoff(now, "KEYSERVICE_WEBHOOK_RETENTION_DAYS"),
            ),
            batch_size=batch_size,
        ),
    )
    logger.info(
        "pruned %s key event(s), %s outbox email(s), %s webhook delivery(ies)",
        pruned.key_events,
        pruned.outbox_emails,
        pruned.webhook_deliveries,
    )
    return pruned


def keyevent_prune(*, before: datetime, batch_size: int = PRUNE_BATCH_SIZE) -> int:
    """Delete key audit events created before `before`, in batches."""
    return queryset_delete_in_batches(
        KeyEvent.objects.filter(created_at__lt=before), batch_size=batch_size
    )


def _cutoff(now: datetime, setting: str) -> datetime:
    days = getattr(settings, setting)
    if not isinstance(days, int) or days < 1:
        raise ImproperlyConfigured(f"{setting} must be a whole number of days, at least 1.")
    return now - timedelta(days=days)
