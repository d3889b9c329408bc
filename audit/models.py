from django.conf import settings
from django.db import models


class ActorKind(models.TextChoices):
    """Who caused an event: a signed-in user (the owner, a member), an operator (admin), or
    the system (a command such as the directory import, a worker)."""

    USER = "user", "User"
    OPERATOR = "operator", "Operator"
    SYSTEM = "system", "System"


class AuditEvent(models.Model):
    """One change to an account's team or service settings, in the account owner's trail.

    The key and identity events stay apikeys.models.KeyEvent; the owner's trail shows both
    (dashboard.selectors). Rows outlive what they describe: every person is a reference that
    empties on deletion plus a snapshot of the address at the time. `details` is a small JSON
    object that never holds a secret (audit.services.audit_record refuses secret-like keys).
    Create events only through audit.services.audit_record.
    """

    class Kind(models.TextChoices):
        INVITATION_SENT = "invitation_sent", "Invitation sent"
        INVITATION_RESENT = "invitation_resent", "Invitation resent"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        MEMBER_ADDED = "member_added", "Member added"
        MEMBER_CHANGED = "member_changed", "Role or access list changed"
        MEMBER_REMOVED = "member_removed", "Member removed"
        MEMBER_LEFT = "member_left", "Member left"
        WEBHOOK_URL_CHANGED = "webhook_url_changed", "Webhook URL changed"
        WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", "Webhook secret rotated"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The account owner whose trail this event belongs to.",
    )
    account_email = models.EmailField("account (at the time)", max_length=254, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_email = models.EmailField("actor (at the time)", max_length=254, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person the event is about (empty for an invited address without "
        "an account, and for a project's settings).",
    )
    subject_email = models.EmailField("person (at the time)", max_length=254, blank=True)
    projects = models.JSONField(
        default=list, blank=True, help_text="The projectIds concerned, at the time."
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="auditevent_account")]

    def __str__(self) -> str:
        return f"{self.kind} in {self.account_email}'s account"
