"""Queued delivery: rows written in the caller's transaction, delivered by a Celery task.

    class EmailDelivery(QueuedDelivery[OutboxEmail]):
        model, label = OutboxEmail, "outbox email"
        max_attempts_setting = "KEYSERVICE_OUTBOX_MAX_ATTEMPTS"  # and retry_base_, stale_
        def task(self): ...                  # the Celery task, by id
        def attempt(self, row) -> Attempt:   # one try; Attempt(delivered=, retryable=, error=)
        def settled(self, row, result): ...  # log, count, record

    EMAILS = EmailDelivery()
    EMAILS.dispatch(pk=row.pk)  # on commit;  EMAILS.sweep() every minute
    @shared_task(**TASK_OPTIONS)
    def outbox_send(self, email_id): return task_retry(self, EMAILS.deliver(pk=email_id)).outcome

- `QueuedDelivery` (pipeline.py): dispatch, sweep, lock, attempt, settle, retry with backoff,
  written once; a pipeline is a subclass saying what differs (model, task, attempt, the
  settings bounding retries, what a settled row records, its log lines).
- `DeliveryOutcome`: what one delivery came to; a settled row's state is its value.
- `MAX_BACKOFF_SECONDS` (dispatch.py, with the dispatch, the sweep's query and the backoff):
  no retry waits longer (the broker's visibility timeout is above it).

It knows no app. Apps import this package, never its modules.
"""

from core.delivery.dispatch import MAX_BACKOFF_SECONDS, Enqueueable
from core.delivery.pipeline import (
    TASK_OPTIONS,
    Attempt,
    DeliveryOutcome,
    QueuedDelivery,
    Settled,
    task_retry,
)

__all__ = [
    "MAX_BACKOFF_SECONDS",
    "TASK_OPTIONS",
    "Attempt",
    "DeliveryOutcome",
    "Enqueueable",
    "QueuedDelivery",
    "Settled",
    "task_retry",
]
