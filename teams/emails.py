"""The invitation email (an outbox composer) and the link it carries.

Queued by teams.invitations.invitation_email_enqueue (the row names the invitation by id
only); composed here at send time, with a freshly signed link to the invitation page.
Registered with the outbox by keyservice.wiring.
"""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.delivery import DeliveryOutcome
from outbox.composers import ComposeFailed, composer_subject
from outbox.models import OutboxEmail
from teams.invitations import invitation_token
from teams.models import Invitation


def invitation_link(*, invitation: Invitation) -> str:
    path = reverse("invitation_detail", args=[invitation_token(invitation=invitation)])
    return invitation.base_url.rstrip("/") + path


def _invitation(row: OutboxEmail) -> Invitation | None:
    """The row's invitation, or None when it was deleted (loaded once per row)."""
    return composer_subject(
        row, lambda pk: Invitation.objects.select_related("owner").filter(pk=pk).first()
    )


class InvitationEmail:
    def skip_reason(self, row: OutboxEmail) -> str | None:
        invitation = _invitation(row)
        if invitation is None or invitation.state != invitation.State.PENDING:
            return "the invitation was accepted or revoked before sending"
        if invitation.expires_at <= timezone.now():
            return "the invitation expired before sending"
        return None

    def message(self, row: OutboxEmail) -> EmailMessage:
        invitation = _invitation(row)
        if invitation is None:
            raise ComposeFailed("the invitation no longer exists")
        owner = invitation.owner
        context = {
            "invitation": invitation,
            "owner": owner,
            "link": invitation_link(invitation=invitation),
            "projects": list(invitation.projects.order_by("name")),
        }
        body = render_to_string("teams/email/invitation.txt", context)
        subject = f"{owner.get_short_name()} invited you to their keyservice team"
        return EmailMessage(subject=subject, body=body, to=[row.recipient])

    def record(self, row: OutboxEmail, outcome: DeliveryOutcome, detail: str = "") -> None:
        """Invitations keep their own state; the outbox row is the record."""

    def subject_label(self, row: OutboxEmail) -> str:
        invitation = _invitation(row)
        return str(invitation) if invitation is not None else "(deleted invitation)"
