import re

from django.conf import settings
from django.db import models

from core.stamped import StampedManager


class ApiKey(models.Model):
    """One issued key. Only ciphertext, digest and a display hint are stored, never plaintext."""

    class EmailKind(models.TextChoices):
        """The outbox emails about a key (subject: the key), composed by apikeys.emails."""

        NEW_KEY = "api_key", "New API key"
        LEAK_NOTICE = "leak_notice", "Leaked key notice"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    ciphertext = models.CharField(max_length=256)  # exactly "{iv_hex}:{encrypted_hex}"
    kek_id = models.CharField("encryption key id", max_length=16)
    digest = models.CharField(max_length=64, unique=True)  # HMAC-SHA256 hex, the lookup index
    hint = models.CharField(max_length=32)
    # SHA-256 of the dashboard request's one-time nonce that issued this key: unique, so a
    # nonce issues at most one key (apikeys.services.apikey_issue). Empty for other issuers.
    request_digest = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # Writes bump the verify cache's stamps (core.stamped; tracked in apikeys.apps).
    objects = StampedManager["ApiKey"]()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]
        # Revoking is its own permission: viewing keys in the admin does not allow it.
        permissions = [("revoke_apikey", "Can revoke API keys")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="apikey_one_active_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(ciphertext__regex=r"^[0-9a-f]{32}:[0-9a-f]+$"),
                name="apikey_ciphertext_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hint} ({'active' if self.is_active else 'revoked'})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class KeyEvent(models.Model):
    """Audit trail of key and identity events. Never holds a key, only references and hints.

    Rows outlive what they describe: deleting a user empties `user` but keeps the snapshot of
    who it was (`user_email`, `user_public_id`, filled when the event is recorded, see
    apikeys.audit). Create events only through apikeys.audit.
    """

    class Kind(models.TextChoices):
        ISSUED = "issued", "Issued"
        REVOKED = "revoked", "Revoked"
        EMAILED = "emailed", "Emailed"
        EMAIL_FAILED = "email_failed", "Email failed"
        EMAIL_SKIPPED = "email_skipped", "Email skipped (key rotated before sending)"
        LEAK_REVOKED = "leak_revoked", "Revoked: reported leaked"
        # Identity changes (accounts.services)
        EMAIL_CHANGED = "email_changed", "Email address changed"
        IDENTITY_MERGED = "identity_merged", "Sign-in identity joined an existing account"
        SOCIAL_DETACHED = "social_detached", "Other sign-in identity detached"
        SESSIONS_ENDED = "sessions_ended", "Other sessions ended"
        UNPROVEN_REMOVED = "unproven_removed", "Unverified account removed: address proven"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_events",
    )
    # Who the user was when the event was recorded (kept when the user is deleted).
    user_email = models.EmailField("user email (at the time)", max_length=254, blank=True)
    user_public_id = models.CharField("userId (at the time)", max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who caused it; empty for the system (worker, command).",
    )
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key.hint if self.key else ''} for {self.user or self.user_email}"


# A scope name: lowercase words joined by hyphens (never a LIKE wildcard, never a space).
SCOPE_NAME = re.compile(r"[a-z]+(?:-[a-z]+)*")


class Scope(models.TextChoices):
    """What a service token may call. Each internal endpoint requires one scope."""

    VERIFY = "verify", "verify: POST /internal/v1/verify"
    REVOKE_LEAKED = "revoke-leaked", "revoke-leaked: POST /internal/v1/keys/revoke-leaked"
    PIPELINE = "pipeline", "pipeline: POST /internal/v1/uploads/{uploadId}/status"


DEFAULT_SCOPES = (Scope.VERIFY.value,)  # least privilege when none is chosen


class ServiceToken(models.Model):
    """A credential of one internal service for /internal/v1. Only its digest is stored."""

    name = models.CharField(max_length=100, unique=True, help_text="The calling service.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=32, editable=False)
    # Space-separated, sorted scope names (apikeys.tokens.scopes_normalize); one SQL LIKE checks
    # a scope on the hot path (apikeys.credentials), on PostgreSQL and SQLite alike.
    scopes = models.CharField(
        max_length=255,
        default=" ".join(DEFAULT_SCOPES),
        help_text="What the token may call: space-separated scope names (apikeys.models.Scope).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = StampedManager["ServiceToken"]()  # core.stamped, tracked in apikeys.apps

    class Meta:
        ordering = ["name"]
        permissions = [("revoke_servicetoken", "Can revoke service tokens")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scopes__regex=r"^[a-z]+(-[a-z]+)*( [a-z]+(-[a-z]+)*)*$"),
                name="servicetoken_scopes_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}{', revoked' if self.revoked_at else ''})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
