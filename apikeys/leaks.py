"""Keys reported leaked (by a secret-scanning service): revoke them, audit, notify the owner.

The caller learns only which of its strings were active keys and are now revoked; unknown,
malformed and already-revoked strings are simply absent from the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from apikeys import crypto
from apikeys.audit import keyevent_new
from apikeys.models import ApiKey, KeyEvent
from lifecycle.events import KeyRevokeReason
from lifecycle.services import lifecycle_key_revoked
from outbox.models import OutboxEmail
from outbox.services import outbox_email_create

logger = logging.getLogger(__name__)

MAX_REPORTED = 1000


@transaction.atomic
def apikey_revoke_leaked(*, keys: Sequence[str], reported_by: str) -> list[str]:
    """Revoke every active key among `keys`, in one transaction and one lookup query.

    Each revoked key gets a `leak_revoked` audit event naming the reporter, and its owner a
    notice email (queued in the outbox, sent on commit; it names the key by its hint only).
    Returns the reported strings that were active keys, once each, in the order given.
    """
    by_digest: dict[str, str] = {}
    for key in keys:
        if crypto.is_well_formed(key):  # format and checksum: no query for a random string
            by_digest.setdefault(crypto.digest(key), key)
    found = list(
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(digest__in=list(by_digest), revoked_at__isnull=True)
        .order_by("pk")
    )
    if found:
        ApiKey.objects.filter(pk__in=[k.pk for k in found]).update(revoked_at=timezone.now())
        detail = f"reported leaked by {reported_by}"[:255]
        KeyEvent.objects.bulk_create(
            keyevent_new(kind=KeyEvent.Kind.LEAK_REVOKED, key=k, user=k.user, detail=detail)
            for k in found
        )
        for api_key in found:
            apikey_leak_notice_enqueue(api_key=api_key)
            lifecycle_key_revoked(
                user_public_id=api_key.user.public_id,
                key_hint=api_key.hint,
                reason=KeyRevokeReason.LEAKED,
            )
        logger.warning(
            "%s leaked key(s) revoked, reported by %s: %s",
            len(found),
            reported_by,
            ", ".join(f"{k.pk} ({k.hint})" for k in found),
        )
    revoked = {k.digest for k in found}
    return [key for digest, key in by_digest.items() if digest in revoked]


def apikey_leak_notice_enqueue(*, api_key: ApiKey) -> OutboxEmail:
    """Queue the "your key was reported leaked and revoked" notice to the key's owner (hint
    only, never the key; apikeys.emails composes it at send time)."""
    return outbox_email_create(
        kind=ApiKey.EmailKind.LEAK_NOTICE, recipient=api_key.user.email, subject_id=api_key.pk
    )
