from django.conf import settings
from django.db import models


class ApiKey(models.Model):
    """One issued key. Only ciphertext, digest and a display hint are stored, never plaintext."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    ciphertext = models.CharField(max_length=256)  # exactly "{iv_hex}:{encrypted_hex}"
    kek_id = models.CharField("encryption key id", max_length=16)
    digest = models.CharField(max_length=64, unique=True)  # HMAC-SHA256 hex, the lookup index
    hint = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]
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
    """Audit trail of key events. Never holds a key, only references and hints."""

    class Kind(models.TextChoices):
        ISSUED = "issued", "Issued"
        REVOKED = "revoked", "Revoked"
        EMAILED = "emailed", "Emailed"
        EMAIL_FAILED = "email_failed", "Email failed"
        EMAIL_SKIPPED = "email_skipped", "Email skipped (key rotated before sending)"
        LEAK_REVOKED = "leak_revoked", "Revoked: reported leaked"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="key_events"
    )
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
        return f"{self.kind} {self.key.hint if self.key else ''} for {self.user}"
