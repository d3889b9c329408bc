"""Celery tasks. Messages carry row ids only, never a key."""

from celery import shared_task

from core.delivery import TASK_OPTIONS, task_retry
from outbox import services


@shared_task(**TASK_OPTIONS)
def outbox_send(self, email_id: int) -> str:
    # In eager mode a retry is left to `manage.py outbox_sweep` (or beat, once Redis is
    # configured): core.delivery.task_retry.
    return task_retry(self, services.outbox_deliver(email_id=email_id)).outcome


@shared_task
def outbox_sweep() -> int:
    return services.outbox_sweep()
