import re

from django.db import models

# A scope name: lowercase words joined by hyphens (never a LIKE wildcard, never a space).
SCOPE_NAME = re.compile(r"[a-z]+(?:-[a-z]+)*")


class Scope(models.TextChoices):
    """What a service token may call. Each internal endpoint requires one scope."""

    VERIFY = "verify", "verify: POST /internal/v1/verify"
    REVOKE_LEAKED = "revoke-leaked", "revoke-leaked: POST /internal/v1/keys/revoke-leaked"


DEFAULT_SCOPES = (Scope.VERIFY.value,)  # least privilege when none is chosen


class ServiceToken(models.Model):
    """A credential of one internal service for /internal/v1. Only its digest is stored."""

    name = models.CharField(max_length=100, unique=True, help_text="The calling service.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=32, editable=False)
    # Space-separated, sorted scope names (api.tokens.scopes_normalize); one SQL LIKE checks
    # a scope on the hot path (api.selectors), on PostgreSQL and SQLite alike.
    scopes = models.CharField(
        max_length=255,
        default=" ".join(DEFAULT_SCOPES),
        help_text="What the token may call: space-separated scope names (api.models.Scope).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

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
