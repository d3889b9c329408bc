import re

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.leasedcache import TrackedManager


class ApiKey(models.Model):
    """One issued key. Only ciphertext, digest and a display hint are stored, never plaintext."""

    class EmailKind(models.TextChoices):
        """The outbox emails about a key (subject: the key), composed by apikeys.emails."""

        NEW_KEY = "api_key", "New API key"
        LEAK_NOTICE = "leak_notice", "Leaked key notice"
        RETIRED_IN_USE = "retired_key_used", "Retired key still in use"
        EXPIRY_WEEK = "key_expiry_7d", "Key expires in 7 days"
        EXPIRY_DAY = "key_expiry_1d", "Key expires in 1 day"
        REVOKE_NOTICE = "revoke_notice", "Key revoked by its owner"

    class ExpiryStage(models.IntegerChoices):
        """How far the expiry scan (apikeys.expiry) has taken a key that expires: it only moves
        forward, under the row's lock, so each reminder and the `expired` event happen once."""

        NONE = 0, "Nothing sent yet"
        WEEK = 1, "7-day reminder queued"
        DAY = 2, "1-day reminder queued"
        EXPIRED = 3, "Expiry recorded"

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
    # A replaced key kept working after its renewal (apikeys.overlap): accepted until this
    # instant although revoked. Emptied when the overlap ends early (apikeys.revocation) or
    # once the expiry scan has recorded its end; only ever set on a revoked key.
    overlap_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Refused from this instant on (apikeys.verifier.credentials); empty: never expires.
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_stage = models.PositiveSmallIntegerField(
        choices=ExpiryStage.choices, default=ExpiryStage.NONE, editable=False
    )

    # Writes announce to the leased cache (core.leasedcache; read by the verifier:
    # apikeys/verifier/sources.py).
    objects = TrackedManager["ApiKey"]()

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
            models.CheckConstraint(
                condition=models.Q(overlap_until__isnull=True) | models.Q(revoked_at__isnull=False),
                name="apikey_overlap_only_when_replaced",
            ),
        ]
        indexes = [
            # The expiry scan's candidates: unrevoked keys that expire.
            models.Index(
                fields=["expires_at"],
                condition=models.Q(revoked_at__isnull=True, expires_at__isnull=False),
                name="apikey_expiring",
            ),
            # The replaced keys still in their overlap (the expiry scan records their end).
            models.Index(
                fields=["overlap_until"],
                condition=models.Q(overlap_until__isnull=False),
                name="apikey_overlapping",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if not self.is_active else "expired" if self.has_expired else "active"
        return f"{self.hint} ({state})"

    @property
    def is_active(self) -> bool:
        """Not revoked (an expired key is still unrevoked: see `has_expired`)."""
        return self.revoked_at is None

    @property
    def is_overlapping(self) -> bool:
        """Replaced, but still accepted until `overlap_until` (apikeys.overlap)."""
        return self.overlap_until is not None and self.overlap_until > timezone.now()

    @property
    def has_expired(self) -> bool:
        """Whether its expiry instant has come: the verifier refuses it from then on."""
        return self.expires_at is not None and self.expires_at <= timezone.now()


class KeyEvent(models.Model):
    """Audit trail of key, identity and service token events. Never holds a key or a token,
    only references and hints.

    Key and identity events are about a person (`user`): every change of who can sign in to
    an account or use its key. The owner's trail shows the owner's and their members' (for
    the time they were members, dashboard.selectors). Service token events are about a token
    (`service_token`) that belongs to no account: operators see them in the admin.

    Rows outlive what they describe: deleting a user empties `user` but keeps the snapshot of
    who it was (`user_email`, `user_public_id`, filled when the event is recorded, see
    apikeys.key_events); a token's name and hint are in `detail`. Create events only through
    apikeys.key_events.
    """

    class Kind(models.TextChoices):
        ISSUED = "issued", "Issued"
        REVOKED = "revoked", "Revoked"
        EMAILED = "emailed", "Emailed"
        EMAIL_FAILED = "email_failed", "Email failed"
        EMAIL_SKIPPED = "email_skipped", "Email skipped (key rotated before sending)"
        LEAK_REVOKED = "leak_revoked", "Revoked: reported leaked"
        EXPIRED = "expired", "Expired"
        # The optional overlap on renewal (apikeys.overlap, apikeys.revocation)
        OVERLAP_STARTED = "overlap_started", "Replaced: previous key kept working"
        OVERLAP_ENDED = "overlap_ended", "Previous key stopped working"
        # Identity changes (accounts.services, accounts.access: accounts.hooks.IdentityEvent)
        EMAIL_CHANGED = "email_changed", "Email address changed"
        IDENTITY_MERGED = "identity_merged", "Sign-in identity joined an existing account"
        SOCIAL_DETACHED = "social_detached", "Other sign-in identity detached"
        IDENTITY_DISCONNECTED = "identity_disconnected", "Sign-in identity disconnected"
        SESSIONS_ENDED = "sessions_ended", "Sessions ended"
        UNPROVEN_REMOVED = "unproven_removed", "Unverified account removed: address proven"
        USER_DEACTIVATED = "user_deactivated", "Account deactivated"
        USER_REACTIVATED = "user_reactivated", "Account reactivated"
        PASSWORD_SET = "password_set", "Password set"
        # Service tokens (apikeys.service_tokens)
        TOKEN_CREATED = "token_created", "Service token created"
        TOKEN_SCOPES_CHANGED = "token_scopes_changed", "Service token scopes changed"
        TOKEN_REVOKED = "token_revoked", "Service token revoked"

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
    service_token = models.ForeignKey(
        "ServiceToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        help_text="The service token a token event is about.",
    )
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        if self.service_token_id is not None:
            return f"{self.kind} {self.service_token}"
        return f"{self.kind} {self.key.hint if self.key else ''} for {self.user or self.user_email}"


# The kinds about a service token (no account's: never in an owner's trail).
TOKEN_EVENT_KINDS = frozenset(
    {
        KeyEvent.Kind.TOKEN_CREATED,
        KeyEvent.Kind.TOKEN_SCOPES_CHANGED,
        KeyEvent.Kind.TOKEN_REVOKED,
    }
)


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
    # a scope on the hot path (apikeys.verifier.credentials).
    scopes = models.CharField(
        max_length=255,
        default=" ".join(DEFAULT_SCOPES),
        help_text="What the token may call: space-separated scope names (apikeys.models.Scope).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # Writes announce to the leased cache (core.leasedcache; apikeys/verifier/sources.py).
    objects = TrackedManager["ServiceToken"]()

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


# The usage room's tables (Surface, KeyUse, KeyUsageDay, UsageBatch) are declared beside the
# code that writes them, in apikeys/usage/models.py; importing it here registers them with
# the app, like every model of this module.
from apikeys.usage import models as usage_models  # noqa: E402, F401
