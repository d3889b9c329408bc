"""Celery tasks. Messages carry delivery row ids only, never a payload or a secret."""

from celery import shared_task

from webhooks import configure, services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def webhook_send(self, delivery_id: int) -> str:
    outcome = services.webhook_deliver(delivery_id=delivery_id)
    # In-process (eager) mode has no broker to wait on: the row stays pending with its due
    # time, and the webhook_sweep task (or a later call) retries it.
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.outcome


@shared_task
def webhook_sweep() -> int:
    """Every minute: previous signing secrets past their overlap are dropped, and pending
    deliveries whose message was lost are re-enqueued (their count is returned)."""
    configure.webhook_previous_secrets_drop()
    return services.webhook_sweep()
