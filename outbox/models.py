from django.db import models


class OutboxEmail(models.Model):
    """An email to send. The Celery message carries only this row's id.

    States: pending → sent | failed | skipped. Sending is idempotent: a row leaves `pending`
    once, under a row lock, so a retried or duplicated task never sends twice.
    """

    class Kind(models.TextChoices):
        API_KEY = "api_key", "New API key"
        INVITATION = "invitation", "Team invitation"
        LEAK_NOTICE = "leak_notice", "Leaked key notice"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    recipient = models.EmailField()
    api_key = models.ForeignKey(
        "apikeys.ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    invitation = models.ForeignKey(
        "teams.Invitation", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the next send attempt is expected (set on enqueue and on retry); empty when the
    # row never reached the broker. The sweep re-enqueues pending rows empty or long overdue.
    due_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox email"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.state})"
