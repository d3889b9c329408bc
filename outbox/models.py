from django.db import models

from outbox.composers import kind_choices


class OutboxEmail(models.Model):
    """An email to send. The Celery message carries only this row's id.

    States: pending → sent | failed | skipped. Sending is idempotent: a row leaves `pending`
    once, under a row lock, so a retried or duplicated task never sends twice.

    What the email is about is named by `kind` (registered by the app that composes it,
    outbox.composers) and `subject_id` (that app's row id, e.g. the key's): no reference to
    an app's model. A subject deleted meanwhile makes its composer skip the row.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    kind = models.CharField(max_length=32, choices=kind_choices)
    recipient = models.EmailField()
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
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
