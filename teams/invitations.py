"""Invitations: create, resend, revoke, accept. The link carries a signed invitation id.

Their refusals are teams.refusals'; who may accept one now is decided once, by
teams.selectors.invitation_refusal_for (the invitation page asks it too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.addresses import UnusableEmailAddress, email_canonical, email_canonical_or_none
from accounts.models import User
from audit.models import AuditEvent
from audit.services import Actor, audit_record
from core.errors import ApplicationError
from core.ratelimit import Rate, ratelimit_hit
from outbox.models import OutboxEmail
from outbox.services import outbox_email_create
from projects.models import Project
from teams.models import Invitation, Membership, Role
from teams.refusals import NOT_ACCEPTED, InvitationRefusal
from teams.selectors import invitation_refusal_for
from teams.services import membership_upsert

_SALT = "keyservice.invitation"


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=_SALT)


def invitation_find_by_token(*, token: str) -> Invitation | None:
    """The invitation a link names, or None for a forged or mangled link."""
    try:
        pk = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    return (
        Invitation.objects.select_related("owner").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )


def _expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.KEYSERVICE_INVITATION_DAYS)


def _refuse(reason: InvitationRefusal, message: str, field: str | None = None) -> ApplicationError:
    return ApplicationError(reason, message, fields={field: message} if field else None)


def _duration(seconds: float) -> str:
    if seconds < 3600:
        minutes = max(1, round(seconds / 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(seconds / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _limit(scope: str, ident: str, count: int, seconds: int, message: str) -> None:
    """Count one invitation email against a limit (atomic, core.ratelimit); refuse past it."""
    decision = ratelimit_hit(scope=scope, ident=ident, rate=Rate(count=count, seconds=seconds))
    if not decision.allowed:
        wait = decision.retry_after
        raise ApplicationError(
            InvitationRefusal.LIMIT_REACHED,
            f"{message} Try again in {_duration(wait)}.",
            retry_after=wait,
        )


def _owner_budget(owner_pk: int) -> None:
    per_day = settings.KEYSERVICE_INVITATIONS_PER_DAY
    _limit(
        "invitations_owner",
        str(owner_pk),
        per_day,
        86400,
        f"You can send at most {per_day} invitation emails a day.",
    )


def _resend_budget(invitation: Invitation) -> None:
    """Keyed by owner and address, not invitation: revoking and inviting again resets nothing."""
    ident = f"{invitation.owner_id}:{invitation.email}"  # stored canonical
    minutes = settings.KEYSERVICE_INVITATION_RESEND_MINUTES
    _limit(
        "invitation_resend_interval",
        ident,
        1,
        minutes * 60,
        f"An invitation can be resent once every {minutes} minutes.",
    )
    per_day = settings.KEYSERVICE_INVITATION_RESENDS_PER_DAY
    _limit(
        "invitation_resends",
        ident,
        per_day,
        86400,
        f"An invitation can be resent at most {per_day} times a day.",
    )


@transaction.atomic
def invitation_create(
    *, owner: User, email: str, role: str, projects: list[Project], base_url: str
) -> Invitation:
    """Invite `email` into the owner's account and queue the email (sent on commit).

    The address is stored and compared in its canonical form (accounts.addresses): the same
    address in another ASCII case is the same person, a look-alike another one. Raises
    ApplicationError (InvitationRefusal) for an address without a canonical form, the owner's
    own address, an existing member, a pending invitation to the same address, an unknown
    role or another account's project (each naming its field), and LIMIT_REACHED past the
    owner's daily budget of invitation emails.
    """
    try:
        email = email_canonical(email)
    except UnusableEmailAddress as exc:
        raise _refuse(InvitationRefusal.INVALID_ADDRESS, str(exc), "email") from None
    if email == owner.email:
        raise _refuse(InvitationRefusal.OWN_ADDRESS, "That is your own address.", "email")
    if Membership.objects.filter(owner=owner, member__email=email).exists():
        raise _refuse(
            InvitationRefusal.ALREADY_MEMBER,
            "That person is already a member of your team.",
            "email",
        )
    if role not in Role.values:
        raise _refuse(InvitationRefusal.UNKNOWN_ROLE, "Choose FULL or READONLY.", "role")
    if any(p.owner_id != owner.pk for p in projects):
        raise _refuse(
            InvitationRefusal.FOREIGN_PROJECT, "Choose only projects of your account.", "projects"
        )
    # An expired pending invitation to the same address gives way to the new one.
    Invitation.objects.filter(
        owner=owner,
        email=email,
        state=Invitation.State.PENDING,
        expires_at__lte=timezone.now(),
    ).update(state=Invitation.State.REVOKED, revoked_at=timezone.now())
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                owner=owner, email=email, role=role, base_url=base_url, expires_at=_expiry()
            )
    except IntegrityError:
        raise _refuse(
            InvitationRefusal.ALREADY_PENDING,
            "An invitation to that address is pending: resend it instead.",
            "email",
        ) from None
    _owner_budget(owner.pk)  # counted only once everything else passed; refusal rolls back
    invitation.projects.set(projects)
    _send(invitation)
    _invitation_audit(invitation, AuditEvent.Kind.INVITATION_SENT, projects=projects)
    return invitation


def _invitation_audit(
    invitation: Invitation,
    kind: AuditEvent.Kind,
    *,
    projects: list[Project],
    actor: User | None = None,
) -> None:
    """Record `kind` of `invitation` in its owner's trail; the owner acts unless `actor`."""
    audit_record(
        kind=kind,
        account=invitation.owner,
        actor=Actor.of(actor or invitation.owner),
        subject=actor,
        subject_email=invitation.email,
        projects=[p.public_id for p in projects],
        details={"role": invitation.role, "invitation": invitation.pk},
    )


def _send(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(sent_count=invitation.sent_count + 1)
    invitation_email_enqueue(invitation=invitation)


def invitation_email_enqueue(*, invitation: Invitation) -> OutboxEmail:
    """Queue an invitation email (teams.emails composes it, with its signed link, at send
    time); it is handed to Celery when the transaction commits."""
    return outbox_email_create(
        kind=Invitation.EmailKind.INVITATION, recipient=invitation.email, subject_id=invitation.pk
    )


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """Send the invitation again, valid for a fresh period.

    ApplicationError LIMIT_REACHED when this address was sent one too recently or too often today,
    or past the owner's daily budget (resends count against it too).
    """
    if invitation.state != Invitation.State.PENDING:
        raise _refuse(InvitationRefusal.NOT_PENDING, "Only a pending invitation can be resent.")
    _resend_budget(invitation)
    _owner_budget(invitation.owner_id)
    invitation.expires_at = _expiry()
    invitation.save(update_fields=["expires_at"])
    _send(invitation)
    projects = list(invitation.projects.all())
    _invitation_audit(invitation, AuditEvent.Kind.INVITATION_RESENT, projects=projects)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> bool:
    """Revoke a pending invitation (the owner's act, recorded in their trail). Returns False
    when it was not pending."""
    revoked = Invitation.objects.filter(pk=invitation.pk, state=Invitation.State.PENDING).update(
        state=Invitation.State.REVOKED, revoked_at=timezone.now()
    )
    if revoked:
        projects = list(invitation.projects.all())
        _invitation_audit(invitation, AuditEvent.Kind.INVITATION_REVOKED, projects=projects)
    return bool(revoked)


@dataclass(frozen=True)
class Acceptance:
    membership: Membership
    owner: User


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Acceptance:
    """Turn a pending invitation into a membership for `user` (locks the invitation row).

    Who may accept is teams.selectors.invitation_refusal_for's decision, asked again under
    the lock: only a user who verified the invited address, in the same canonical form
    (accounts.addresses), compared exactly, so a look-alike's owner never accepts.
    An existing membership in that account gets the invitation's role and projects.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    refusal = invitation_refusal_for(invitation=invitation, user=user)
    if refusal is not None:
        raise _refuse(refusal, NOT_ACCEPTED[refusal])
    projects = list(invitation.projects.all())
    invitation.state = Invitation.State.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["state", "accepted_by", "accepted_at"])
    _invitation_audit(
        invitation, AuditEvent.Kind.INVITATION_ACCEPTED, projects=projects, actor=user
    )
    result = membership_upsert(
        owner=invitation.owner,
        member=user,
        role=invitation.role,
        projects=projects,
        actor=Actor.of(user),
        via="invitation",
    )
    return Acceptance(membership=result.membership, owner=invitation.owner)


def invitation_pending_for(*, email: str) -> bool:
    """Whether anyone invited this address, in its canonical form (for invite-only sign-up:
    a look-alike of an invited address is not invited)."""
    canonical = email_canonical_or_none(email)
    return (
        canonical is not None
        and Invitation.objects.filter(
            email=canonical, state=Invitation.State.PENDING, expires_at__gt=timezone.now()
        ).exists()
    )
