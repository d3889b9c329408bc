"""Celery tasks. Messages carry row ids only, never a key."""

from celery import shared_task

from outbox import services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def outbox_send(self, email_id: int) -> str:
    delivery = services.outbox_deliver(email_id=email_id)
    # In-process (eager) mode has no broker to wait on: the row stays pending with its due
    # time, and `manage.py outbox_sweep` (or beat, once Redis is configured) sends it later.
    if delivery.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=delivery.retry_in)
    return delivery.outcome


@shared_task
def outbox_sweep() -> int:
    return services.outbox_sweep()
