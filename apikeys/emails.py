"""The emails about a key: the new-key email, the leak notice, the expiry reminders, the
revoke notice and the "still in use" notice (outbox composers), and their outcomes in the
key's audit trail.

Queued by apikeys.services (apikey_email_enqueue, apikey_revoke_own),
apikeys.leaks.apikey_leak_notice_enqueue and apikeys.expiry (the row names the key by id
only); composed here at send time, in the worker: the key is decrypted only here, only for
the new-key email, and only when KEYSERVICE_EMAIL_INCLUDES_KEY is on. The others name the
key by its hint. Each kind's composer is registered with the outbox by keyservice.wiring.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from apikeys.crypto import DecryptionError
from apikeys.key_events import keyevent_create
from apikeys.models import ApiKey, KeyEvent
from apikeys.overlap import overlap_max
from apikeys.selectors import apikey_overlapping_for
from apikeys.services import apikey_decrypt
from apikeys.usage.models import KeyUse
from core.delivery import DeliveryOutcome
from outbox.composers import ComposeFailed, composer_subject
from outbox.models import OutboxEmail

_EVENT_KIND = {
    DeliveryOutcome.SENT: KeyEvent.Kind.EMAILED,
    DeliveryOutcome.FAILED: KeyEvent.Kind.EMAIL_FAILED,
    DeliveryOutcome.SKIPPED: KeyEvent.Kind.EMAIL_SKIPPED,
}


def _key(row: OutboxEmail) -> ApiKey | None:
    """The row's key, or None when it was deleted (loaded once per row)."""
    return composer_subject(
        row, lambda pk: ApiKey.objects.select_related("user").filter(pk=pk).first()
    )


def _key_event(row: OutboxEmail, outcome: DeliveryOutcome, detail: str) -> None:
    """Record a key email's outcome in the key's audit trail."""
    key = _key(row)
    if key is not None:
        keyevent_create(kind=_EVENT_KIND[outcome], key=key, user=key.user, detail=detail)


class _KeyEmail:
    def subject_label(self, row: OutboxEmail) -> str:
        key = _key(row)
        return str(key) if key is not None else "(deleted key)"


class ApiKeyEmail(_KeyEmail):
    subject = "Your new keyservice API key"

    def skip_reason(self, row: OutboxEmail) -> str | None:
        key = _key(row)
        if key is None or key.revoked_at is not None:
            return "the key was rotated or revoked before sending"
        return None

    def message(self, row: OutboxEmail) -> EmailMessage:
        key = _key(row)
        if key is None:
            raise ComposeFailed("the key no longer exists")
        include_key = settings.KEYSERVICE_EMAIL_INCLUDES_KEY
        try:
            plaintext = apikey_decrypt(api_key=key) if include_key else None
        except DecryptionError as exc:  # e.g. its encryption key was dropped from the config
            raise ComposeFailed(f"cannot decrypt the key: {exc}") from exc
        context = {
            "user": key.user,
            "hint": key.hint,
            "created_at": key.created_at,
            "expires_at": key.expires_at,
            "include_key": include_key,
            "api_key": plaintext,
            # A previous key kept working by an overlap on renewal (apikeys.overlap); one
            # query more, only where an operator allows overlaps.
            "previous": apikey_overlapping_for(user=key.user) if overlap_max() else None,
        }
        body = render_to_string("apikeys/email/new_key.txt", context)
        return EmailMessage(subject=self.subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: DeliveryOutcome, detail: str = "") -> None:
        _key_event(row, outcome, detail)


class LeakNoticeEmail(_KeyEmail):
    """ "Your key was reported leaked and revoked": names the key by its hint only."""

    subject = "Your keyservice API key was exposed and has been revoked"

    def skip_reason(self, row: OutboxEmail) -> str | None:
        if _key(row) is None:
            return "the key no longer exists"
        return None

    def message(self, row: OutboxEmail) -> EmailMessage:
        key = _key(row)
        if key is None:
            raise ComposeFailed("the key no longer exists")
        context = {
            "user": key.user,
            "hint": key.hint,
            "created_at": key.created_at,
            "revoked_at": key.revoked_at,
        }
        body = render_to_string("apikeys/email/leak_notice.txt", context)
        return EmailMessage(subject=self.subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: DeliveryOutcome, detail: str = "") -> None:
        _key_event(row, outcome, f"leak notice: {detail}" if detail else "leak notice")


class ExpiryReminderEmail(_KeyEmail):
    """ "Your key expires in 7 days / tomorrow" (queued once per key and reminder by
    apikeys.expiry); moot once the key was rotated, revoked or has expired."""

    def __init__(self, *, days: int) -> None:
        self.days = days
        self.subject = (
            "Your keyservice API key expires tomorrow"
            if days == 1
            else f"Your keyservice API key expires in {days} days"
        )

    def skip_reason(self, row: OutboxEmail) -> str | None:
        key = _key(row)
        if key is None or key.revoked_at is not None:
            return "the key was rotated or revoked before the reminder was sent"
        if key.has_expired:
            return "the key expired before the reminder was sent"
        return None

    def message(self, row: OutboxEmail) -> EmailMessage:
        key = _key(row)
        if key is None:
            raise ComposeFailed("the key no longer exists")
        context = {"user": key.user, "hint": key.hint, "expires_at": key.expires_at}
        body = render_to_string("apikeys/email/expiry_reminder.txt", context)
        return EmailMessage(subject=self.subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: DeliveryOutcome, detail: str = "") -> None:
        label = f"{self.days}-day expiry reminder"
        _key_event(row, outcome, f"{label}: {detail}" if detail else label)


class RevokeNoticeEmail(_KeyEmail):
    """ "You revoked your key" (apikeys.revocation.apikey_revoke_own): the hint, never the key."""

    subject = "Your keyservice API key was revoked"

    def skip_reason(self, row: OutboxEmail) -> str | None:
        return "the key no longer exists" if _key(row) is None else None

    def message(self, row: OutboxEmail) -> EmailMessage:
        key = _key(row)
        if key is None:
            raise ComposeFailed("the key no longer exists")
        context = {"user": key.user, "hint": key.hint, "revoked_at": key.revoked_at}
        body = render_to_string("apikeys/email/revoke_notice.txt", context)
        return EmailMessage(subject=self.subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: DeliveryOutcome, detail: str = "") -> None:
        _key_event(row, outcome, f"revoke notice: {detail}" if detail else "revoke notice")


class RetiredKeyInUseEmail(_KeyEmail):
    """ "Your previous key is still in use": the hint, when, from where and through which
    surface it was last presented (apikeys.usage.collect queues it, at most once a day)."""

    subject = "Your previous keyservice API key is still in use"

    def skip_reason(self, row: OutboxEmail) -> str | None:
        key = _key(row)
        if key is None or not KeyUse.objects.filter(key=key).exists():
            return "the key no longer exists"
        return None

    def message(self, row: OutboxEmail) -> EmailMessage:
        key = _key(row)
        use = KeyUse.objects.filter(key=key).first() if key is not None else None
        if key is None or use is None:
            raise ComposeFailed("the key no longer exists")
        context = {
            "user": key.user,
            "hint": key.hint,
            "revoked_at": key.revoked_at,
            "uses": use.retired_uses,
            "last_at": use.last_at,
            "address": use.last_address or "an unknown address",
            "surface": use.get_last_surface_display(),
        }
        body = render_to_string("apikeys/email/retired_in_use.txt", context)
        return EmailMessage(subject=self.subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: DeliveryOutcome, detail: str = "") -> None:
        _key_event(
            row, outcome, f"still-in-use notice: {detail}" if detail else "still-in-use notice"
        )
