"""Why the invitation services refuse (core.errors.ApplicationError.reason), shared by
teams.invitations (the writes) and teams.selectors.invitation_refusal_for (who may accept an
invitation now: the invitation page and invitation_accept both ask it)."""

from __future__ import annotations

from enum import StrEnum


class InvitationRefusal(StrEnum):
    """Why an invitation service refused (core.errors.ApplicationError.reason)."""

    INVALID_ADDRESS = "invalid_address"  # no canonical form (accounts.addresses)
    OWN_ADDRESS = "own_address"
    ALREADY_MEMBER = "already_member"
    UNKNOWN_ROLE = "unknown_role"
    FOREIGN_PROJECT = "foreign_project"
    ALREADY_PENDING = "already_pending"
    NOT_PENDING = "not_pending"
    # Too many invitation emails: the owner's daily budget or this address's resends.
    LIMIT_REACHED = "limit_reached"
    # Accepting: the invitation's status (invitation_status), or who tries to accept it.
    EXPIRED = "expired"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    OWN = "own"
    EMAIL_MISMATCH = "email_mismatch"


# Why an invitation cannot be accepted (teams.selectors.invitation_refusal_for), in words.
NOT_ACCEPTED: dict[InvitationRefusal, str] = {
    InvitationRefusal.EXPIRED: "This invitation has expired.",
    InvitationRefusal.ACCEPTED: "This invitation was accepted already.",
    InvitationRefusal.REVOKED: "This invitation was revoked.",
    InvitationRefusal.OWN: "This is your own invitation.",
    InvitationRefusal.EMAIL_MISMATCH: "This invitation is for another address.",
}
