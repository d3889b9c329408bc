"""Celery tasks. Messages carry delivery row ids only, never a payload or a secret. They run
on the webhooks queue (webhooks.routing): outbound HTTP never waits before a key email."""

from celery import shared_task

from lifecycle import delivery


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def lifecycle_send(self, delivery_id: int) -> str:
    retry_in = delivery.lifecycle_deliver(delivery_id=delivery_id)
    # In-process (eager) mode has no broker to wait on: the row stays pending with its due
    # time, and the lifecycle_sweep task retries it.
    if retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=retry_in)
    return "retry" if retry_in is not None else "settled"


@shared_task
def lifecycle_sweep() -> int:
    return delivery.lifecycle_sweep()
