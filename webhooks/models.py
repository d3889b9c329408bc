import secrets

from django.db import models

from core.ids import new_public_id
from core.leasedcache import TrackedManager


def new_webhook_secret() -> str:
    """A project's webhook signing secret (HMAC-SHA256 key, 256 random bits)."""
    return secrets.token_hex(32)


class Webhook(models.Model):
    """A project's webhook settings: where to POST, which events (names from
    webhooks.events.WEBHOOK_EVENTS), and the secret its deliveries are signed with.

    At most one per project, created when first needed (webhooks.configure.webhook_get_or_create);
    a project without one has no URL and no events.
    """

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="webhook"
    )
    url = models.URLField(max_length=2048, blank=True)
    events = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=64, default=new_webhook_secret, editable=False)
    # When the secret was last replaced (webhooks.configure.webhook_secret_rotate); empty:
    # never since the settings were created.
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The secret replaced by the last rotation, still signing (beside `secret`) until
    # `previous_secret_until` (KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS after the rotation),
    # so an attempt in flight or retried verifies under either; then dropped
    # (webhooks.configure.webhook_previous_secrets_drop). Empty: none.
    previous_secret = models.CharField(max_length=64, blank=True, default="", editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Off: every delivery gets exactly one attempt, whatever the answer (the hosted platform's
    # "no retries"). On: retried only when the receiver cannot have processed an attempt
    # (core.outbound.AttemptResult.retryable).
    retries = models.BooleanField(
        "retry deliveries",
        default=True,
        help_text="Retry a delivery the receiver cannot have processed (not connected, or "
        "answered 429, 502, 503 or 504). Off: one attempt only.",
    )

    # Writes announce to the leased cache (core.leasedcache): the public project read caches
    # its URL and events (api/project_extras.py, PROJECT_EXTRAS_SOURCES).
    objects = TrackedManager["Webhook"]()

    class Meta:
        indexes = [
            # The sweep's candidates: previous secrets whose overlap may have ended.
            models.Index(
                fields=["previous_secret_until"],
                condition=models.Q(previous_secret_until__isnull=False),
                name="webhook_previous_secret_until",
            ),
        ]

    def __str__(self) -> str:
        return f"webhook of {self.project}"


class WebhookDelivery(models.Model):
    """One event for one project's webhook URL. The Celery message carries only this row's id.

    States: pending → delivered | failed. An attempt runs under a row lock, so a retried or
    duplicated task never delivers a settled row again. Every attempt is kept (WebhookAttempt);
    the `status_code`, `duration_ms` and `last_error` here repeat the latest one.

    Every attempt sends the same `public_id` (the X-Keyservice-Delivery header) and the same
    body, serialised from the stored `payload` (its timestamp included), so a receiver can
    recognise a retry of what it already processed.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    public_id = models.CharField(
        "delivery id", max_length=24, unique=True, default=new_public_id, editable=False
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event = models.CharField(max_length=64)
    url = models.URLField(max_length=2048)
    payload = models.JSONField()
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the next attempt is expected (set on enqueue and on retry); empty when the row
    # never reached the broker. The sweep re-enqueues pending rows empty or long overdue.
    due_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} to {self.url} ({self.state})"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: its answer (or why there was none) and how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_unique")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
