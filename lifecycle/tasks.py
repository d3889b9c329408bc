"""Celery tasks. Messages carry delivery row ids only, never a payload or a secret. They run
on the webhooks queue (webhooks.routing): outbound HTTP never waits before a key email."""

from celery import shared_task

from core.delivery import TASK_OPTIONS, task_retry
from lifecycle import delivery


@shared_task(**TASK_OPTIONS)
def lifecycle_send(self, delivery_id: int) -> str:
    # In eager mode a retry is left to the lifecycle_sweep task (core.delivery.task_retry).
    settled = task_retry(self, delivery.SUBSCRIBER_DELIVERIES.deliver(pk=delivery_id))
    return "retry" if settled.retry_in is not None else "settled"


@shared_task
def lifecycle_sweep() -> int:
    return delivery.lifecycle_sweep()
