"""Keys reported leaked: revoke them, audit, notify the owner.

Three ways in, one revocation:

- an internal secret scanner with a service token (`POST /internal/v1/keys/revoke-leaked`)
  and GitHub's secret scanning (`apikeys.leaks.github_scanning` checks its signature) report
  plaintext strings and learn which were active keys (`apikey_revoke_leaked`);
- anyone may report strings on the public revocation endpoint and learns nothing: the
  request only digests the strings and leaves the digests for a worker
  (`apikeys.leaks.reports.leak_report_enqueue`), which revokes many reports at once
  (`apikey_revoke_leaked_digests`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apikeys import crypto
from apikeys.key_events import keyevent_new
from apikeys.models import ApiKey, KeyEvent
from apikeys.revocation import apikey_overlap_end
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

    # The broker did not take the report (or holds too many already): send it again later.
    UNAVAILABLE = "leak_report_unavailable"


@dataclass(frozen=True, slots=True)
class DigestReport:
    """One public report: the lookup digests (crypto.digest) of its strings, and who sent it
    (for the audit event)."""

    digests: tuple[str, ...]
    reported_by: str


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
def apikey_revoke_leaked_digests(*, reports: Sequence[DigestReport]) -> int:
    """Revoke the active keys whose lookup digests (crypto.digest) are in any of `reports`,
    as `apikey_revoke_leaked` does (audit event naming the first report's sender, owner
    notice), in one transaction and one lookup query; how many were revoked."""
    details: dict[str, str] = {}
    for report in reports:
        detail = f"reported leaked by {report.reported_by}"
        for digest in report.digests:
            if isinstance(digest, str) and _DIGEST.match(digest):
                details.setdefault(digest, detail)
    senders = sorted({report.reported_by for report in reports})
    summary = senders[0] if len(senders) == 1 else f"{len(reports)} public reports"
    return len(_revoke(details=details, reported_by=summary))


def _revoke(*, details: Mapping[str, str], reported_by: str) -> set[str]:
    """Revoke the active keys among the digests of `details` (digest → audit detail), and stop
    those still working in an overlap after their renewal; the digests revoked. One query
    finds them, whatever their number."""
    candidates = list(
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(Q(revoked_at__isnull=True) | Q(overlap_until__isnull=False))
        .filter(digest__in=list(details))
        .order_by("pk")
    )
    found = [k for k in candidates if k.revoked_at is None]
    stopped = {
        k.digest
        for k in candidates
        if k.revoked_at is not None
        and apikey_overlap_end(
            key=k, actor=None, reason=KeyRevokeReason.LEAKED, because=details[k.digest]
        )
    }
    for key in candidates:
        if key.digest in stopped:
            apikey_leak_notice_enqueue(api_key=key)
    if not found:
        return stopped
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
    return {k.digest for k in found} | stopped


def apikey_leak_notice_enqueue(*, api_key: ApiKey) -> OutboxEmail:
    """Queue the "your key was reported leaked and revoked" notice to the key's owner (hint
    only, never the key; apikeys.emails composes it at send time)."""
    return outbox_email_create(
        kind=ApiKey.EmailKind.LEAK_NOTICE, recipient=api_key.user.email, subject_id=api_key.pk
    )
