import secrets

from django.db import models

from core.ids import new_public_id


def new_subscriber_secret() -> str:
    """A subscriber's signing secret (HMAC-SHA256 key, 256 random bits, hex)."""
    return secrets.token_hex(32)


class Subscriber(models.Model):
    """An internal service that receives signed lifecycle events (lifecycle.events).

    `secret` signs its deliveries: shown once when created (`manage.py subscriber_add`, the
    admin's add page), never in a list, a log line or a task message. `allowed_networks`: the
    private networks (lifecycle.networks) its URL may resolve to; empty, it may reach public
    addresses only, like a customer webhook.
    """

    public_id = models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=100, unique=True)
    url = models.CharField(max_length=2048)
    events = models.JSONField(default=list)
    allowed_networks = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=64, default=new_subscriber_secret, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LifecycleDelivery(models.Model):
    """One event for one subscriber, written in the transaction of the change it announces and
    handed to Celery (by id) when that commits: a rolled-back change leaves no row.

    States: pending → delivered | failed. Every attempt sends the same `public_id` (the
    X-Keyservice-Delivery header) and the same body (serialised from `payload`, whose
    `eventId` is shared by the deliveries of one event to several subscribers).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    public_id = models.CharField(
        "delivery id", max_length=24, unique=True, default=new_public_id, editable=False
    )
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "lifecycle deliveries"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscriber_id} ({self.state})"
