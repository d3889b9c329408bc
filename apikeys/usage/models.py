"""The usage room's tables: a key's last use and its uses since it was retired (KeyUse), its
uses per UTC day (KeyUsageDay), and the batches applied (UsageBatch). apikeys.models imports
this module, so they belong to the apikeys app (tables and migrations unchanged)."""

from __future__ import annotations

from django.db import models


class Surface(models.TextChoices):
    """Where a key was presented (apikeys.usage.counting)."""

    PUBLIC = "public", "public API"
    INTERNAL = "internal", "internal verify"


class KeyUse(models.Model):
    """A key's last use, and its uses since it was retired (rotated or revoked).

    Written only by apikeys.usage.collect from batches aggregated off the request path: the
    request path itself never writes (docs/performance.md counts it)."""

    key = models.OneToOneField(
        "apikeys.ApiKey", on_delete=models.CASCADE, primary_key=True, related_name="use"
    )
    last_at = models.DateTimeField()
    last_address = models.GenericIPAddressField(null=True, blank=True)
    last_surface = models.CharField(max_length=16, choices=Surface.choices)
    last_accepted = models.BooleanField()
    # Uses of the key after it was retired (every one refused), and the last of them.
    retired_uses = models.PositiveIntegerField(default=0)
    retired_last_at = models.DateTimeField(null=True, blank=True)
    # The last "your old key is still in use" email (at most one a day), and the owner's
    # dismissal of the dashboard notice (a later use shows it again).
    retired_notified_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "key use"

    def __str__(self) -> str:
        return f"{self.key_id} last used {self.last_at:%Y-%m-%d %H:%M}"


class KeyUsageDay(models.Model):
    """Accepted and refused uses of a key on one UTC day (kept KEYSERVICE_USAGE_RETENTION_DAYS)."""

    key = models.ForeignKey("apikeys.ApiKey", on_delete=models.CASCADE, related_name="usage_days")
    day = models.DateField()
    accepted = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["key", "day"]
        constraints = [
            models.UniqueConstraint(fields=["key", "day"], name="keyusageday_one_per_key_day")
        ]

    def __str__(self) -> str:
        return f"{self.key_id} {self.day}: {self.accepted} accepted, {self.refused} refused"


class UsageBatch(models.Model):
    """A usage batch taken from Redis and applied: a batch is applied at most once, even when
    the collector crashed after committing and the batch is picked up again."""

    batch_id = models.CharField(max_length=32, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.batch_id
