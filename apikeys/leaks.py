"""Keys reported leaked: revoke them, audit, notify the owner.

Three ways in, one revocation:

- an internal secret scanner with a service token (`POST /internal/v1/keys/revoke-leaked`)
  and GitHub's secret scanning (`apikeys.github_scanning` checks its signature) report
  plaintext strings and learn which were active keys (`apikey_revoke_leaked`);
- anyone may report strings on the public revocation endpoint and learns nothing: the
  request only digests the strings and hands the digests to a Celery task
  (`leak_report_enqueue`); the worker revokes (`apikey_revoke_leaked_digests`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from apikeys import crypto
from apikeys.audit import keyevent_new
from apikeys.models import ApiKey, KeyEvent
from core.errors import ApplicationError
from lifecycle.events import KeyRevokeReason
from lifecycle.services import lifecycle_key_revoked
from outbox.models import OutboxEmail
from outbox.services import outbox_email_create

logger = logging.getLogger(__name__)

MAX_REPORTED = 1000
# The public endpoint: strings per request, and the longest string read (a key is 53).
MAX_PUBLIC_REPORTED = 100
MAX_REPORTED_LENGTH = 256
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class LeakRefusal(StrEnum):
    """Why a leak report was refused (core.errors.ApplicationError.reason)."""

    # The broker did not take the report: the reporter should send it again later.
    UNAVAILABLE = "leak_report_unavailable"


@transaction.atomic
def apikey_revoke_leaked(
    *, keys: Sequence[str], reported_by: str, sources: Mapping[str, str] | None = None
) -> list[str]:
    """Revoke every active key among `keys`, in one transaction and one lookup query.

    Each revoked key gets a `leak_revoked` audit event naming the reporter (and where the key
    was found, `sources[key]`, when given), and its owner a notice email (queued in the
    outbox, sent on commit; it names the key by its hint only). Returns the reported strings
    that were active keys, once each, in the order given.
    """
    by_digest: dict[str, str] = {}
    for key in keys:
        if crypto.is_well_formed(key):  # format and checksum: no query for a random string
            by_digest.setdefault(crypto.digest(key), key)
    base = f"reported leaked by {reported_by}"
    details = {
        digest: f"{base}: {sources[key]}" if sources and sources.get(key) else base
        for digest, key in by_digest.items()
    }
    revoked = _revoke(details=details, reported_by=reported_by)
    return [key for digest, key in by_digest.items() if digest in revoked]


@transaction.atomic
def apikey_revoke_leaked_digests(*, digests: Sequence[str], reported_by: str) -> int:
    """Revoke the active keys whose lookup digests (crypto.digest) are among `digests`, as
    `apikey_revoke_leaked` does (audit event, owner notice); how many were revoked."""
    detail = f"reported leaked by {reported_by}"
    details = {d: detail for d in digests if isinstance(d, str) and _DIGEST.match(d)}
    return len(_revoke(details=details, reported_by=reported_by))


def _revoke(*, details: Mapping[str, str], reported_by: str) -> set[str]:
    """Revoke the active keys among the digests of `details` (digest → audit detail); the
    digests revoked. One query finds them, whatever their number."""
    found = list(
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(digest__in=list(details), revoked_at__isnull=True)
        .order_by("pk")
    )
    if not found:
        return set()
    ApiKey.objects.filter(pk__in=[k.pk for k in found]).update(revoked_at=timezone.now())
    KeyEvent.objects.bulk_create(
        keyevent_new(kind=KeyEvent.Kind.LEAK_REVOKED, key=k, user=k.user, detail=details[k.digest])
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
    return {k.digest for k in found}


def apikey_leak_notice_enqueue(*, api_key: ApiKey) -> OutboxEmail:
    """Queue the "your key was reported leaked and revoked" notice to the key's owner (hint
    only, never the key; apikeys.emails composes it at send time)."""
    return outbox_email_create(
        kind=ApiKey.EmailKind.LEAK_NOTICE, recipient=api_key.user.email, subject_id=api_key.pk
    )


def leak_report_enqueue(*, strings: Sequence[str], reported_by: str) -> None:
    """Hand the digests of publicly reported strings to the worker, which revokes the active
    keys among them (apikeys.tasks.leak_report_process). The same work for every string and
    no database query: nothing here depends on whether a string is a key. The task message
    carries digests only, never a reported string. A broker that does not take it raises
    ApplicationError(LeakRefusal.UNAVAILABLE)."""
    from apikeys.tasks import leak_report_process  # the services ⇄ tasks pair

    # crypto.digest's HMAC of every string, with no format check first (the parser already
    # refused NUL and lone surrogates), so the work is the same whatever the string is.
    digests = sorted({crypto.digest(s) for s in strings})
    try:
        leak_report_process.delay(digests, reported_by)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning("leak report not enqueued (%s)", type(exc).__name__)
        raise ApplicationError(
            LeakRefusal.UNAVAILABLE, "Service unavailable, try again later"
        ) from None
