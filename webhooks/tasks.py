"""Celery tasks. Messages carry delivery row ids only, never a payload or a secret."""

from celery import shared_task

from core.delivery import TASK_OPTIONS, task_retry
from webhooks import configure, services


@shared_task(**TASK_OPTIONS)
def webhook_send(self, delivery_id: int) -> str:
    # In eager mode a retry is left to the webhook_sweep task (core.delivery.task_retry).
    return task_retry(self, services.webhook_deliver(delivery_id=delivery_id)).outcome


@shared_task
def webhook_sweep() -> int:
    """Every minute: previous signing secrets past their overlap are dropped, and pending
    deliveries whose message was lost are re-enqueued (their count is returned)."""
    configure.webhook_previous_secrets_drop()
    return services.webhook_sweep()
