"""What each kind of outbox email says, when it is moot, and what its outcome records.

Messages are composed at send time from the row's references (the key is decrypted only
here, in the worker); nothing secret is ever stored on the row or in the task message.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from outbox.models import OutboxEmail


def _key_event(row: OutboxEmail, outcome: str, detail: str) -> None:
    """Record a key email's outcome in the key's audit trail."""
    from apikeys.audit import keyevent_create
    from apikeys.models import KeyEvent

    kind = {
        "sent": KeyEvent.Kind.EMAILED,
        "failed": KeyEvent.Kind.EMAIL_FAILED,
        "skipped": KeyEvent.Kind.EMAIL_SKIPPED,
    }[outcome]
    key = row.api_key
    if key is not None:
        keyevent_create(kind=kind, key=key, user=key.user, detail=detail)


class ApiKeyEmail:
    subject = "Your new keyservice API key"

    def skip_reason(self, row: OutboxEmail) -> str | None:
        key = row.api_key
        if key is None or key.revoked_at is not None:
            return "the key was rotated or revoked before sending"
        return None

    def message(self, row: OutboxEmail) -> EmailMessage:
        from apikeys.services import apikey_decrypt

        key = row.api_key
        include_key = settings.KEYSERVICE_EMAIL_INCLUDES_KEY
        context = {
            "user": key.user,
            "hint": key.hint,
            "created_at": key.created_at,
            "include_key": include_key,
            "api_key": apikey_decrypt(api_key=key) if include_key else None,
        }
        body = render_to_string("outbox/api_key_email.txt", context)
        return EmailMessage(subject=self.subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: str, detail: str = "") -> None:
        _key_event(row, outcome, detail)


class LeakNoticeEmail:
    """ "Your key was reported leaked and revoked": names the key by its hint only."""

    subject = "Your keyservice API key was exposed and has been revoked"

    def skip_reason(self, row: OutboxEmail) -> str | None:
        if row.api_key is None:
            return "the key no longer exists"
        return None

    def message(self, row: OutboxEmail) -> EmailMessage:
        key = row.api_key
        context = {
            "user": key.user,
            "hint": key.hint,
            "created_at": key.created_at,
            "revoked_at": key.revoked_at,
        }
        body = render_to_string("outbox/leak_notice_email.txt", context)
        return EmailMessage(subject=self.subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: str, detail: str = "") -> None:
        _key_event(row, outcome, f"leak notice: {detail}" if detail else "leak notice")


class InvitationEmail:
    def skip_reason(self, row: OutboxEmail) -> str | None:
        invitation = row.invitation
        if invitation is None or invitation.state != invitation.State.PENDING:
            return "the invitation was accepted or revoked before sending"
        if invitation.expires_at <= timezone.now():
            return "the invitation expired before sending"
        return None

    def message(self, row: OutboxEmail) -> EmailMessage:
        from teams.invitations import invitation_link

        invitation = row.invitation
        owner = invitation.owner
        context = {
            "invitation": invitation,
            "owner": owner,
            "link": invitation_link(invitation=invitation),
            "projects": list(invitation.projects.order_by("name")),
        }
        body = render_to_string("outbox/invitation_email.txt", context)
        subject = f"{owner.get_short_name()} invited you to their keyservice team"
        return EmailMessage(subject=subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: str, detail: str = "") -> None:
        """Invitations keep their own state; the outbox row is the record."""


COMPOSERS = {
    OutboxEmail.Kind.API_KEY: ApiKeyEmail(),
    OutboxEmail.Kind.INVITATION: InvitationEmail(),
    OutboxEmail.Kind.LEAK_NOTICE: LeakNoticeEmail(),
}
