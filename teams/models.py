from typing import Any

from django.conf import settings
from django.db import models

from accounts.addresses import email_canonical, validate_email_canonicalizable
from core.leasedcache import TrackedManager


class Role(models.TextChoices):
    # One spelling everywhere: the API's role value is also what every page and email shows.
    FULL = "FULL", "FULL"
    READONLY = "READONLY", "READONLY"


class Membership(models.Model):
    """A member's place in another user's account: a role and the projects it reaches."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Writes announce to the leased cache (core.leasedcache; apikeys/verifier/sources.py).
    objects = TrackedManager["Membership"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "member"], name="membership_unique"),
            models.CheckConstraint(
                condition=~models.Q(owner=models.F("member")), name="membership_not_self"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["FULL", "READONLY"]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.owner}'s account ({self.role})"


class FormerMembership(models.Model):
    """A membership that ended (the member left, was removed, or their account was deleted):
    in whose account, whom, and from when to when.

    The owner's audit trail shows a member's key and identity events of the time they were a
    member (dashboard.selectors): a current Membership says since when, this row keeps that
    time after it ends. The member is matched by `member_public_id` (a snapshot, as the events
    keep one), so a deleted member's events stay too. Written by teams.services; pruned with
    the audit trail (KEYSERVICE_AUDIT_RETENTION_DAYS, by `ended_at`)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    member_public_id = models.CharField("member's userId (at the time)", max_length=24)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-ended_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "member_public_id"], name="formermembership_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.member_public_id} in {self.owner}'s account until {self.ended_at:%Y-%m-%d}"


class Invitation(models.Model):
    """An owner's invitation of an email address, with a role and an access list.

    Pending until accepted by a user who verified the same address (its canonical form,
    accounts.addresses, compared exactly), revoked by the owner, or expired (`expires_at`
    passed: derived, not stored).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    class EmailKind(models.TextChoices):
        """The outbox email about an invitation (subject: it), composed by teams.emails."""

        INVITATION = "invitation", "Team invitation"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    # Canonical (accounts.addresses), written by teams.invitations.invitation_create.
    email = models.EmailField(validators=[validate_email_canonicalizable])
    role = models.CharField(max_length=16, choices=Role.choices)
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="invitations")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    base_url = models.URLField(help_text="Site address the invitation link points to.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_count = models.PositiveIntegerField(default=0)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "email"],
                condition=models.Q(state="pending"),
                name="invitation_one_pending_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.owner}'s account ({self.state})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Every save stores the address canonical (accounts.addresses), whoever wrote it.
        Raises UnusableEmailAddress for an address without a canonical form."""
        fields = kwargs.get("update_fields")
        if fields is None or "email" in fields:
            self.email = email_canonical(self.email)
        super().save(*args, **kwargs)
