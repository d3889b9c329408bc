"""The email outbox: rows written in the caller's transaction, sent by a Celery task.

The task message carries only the row id. Delivery locks the row, so a retried or duplicated
task never sends twice (core.delivery's skeleton: EmailDelivery says what is the outbox's
own); the row's composer (outbox.composers, registered by the app that enqueues the kind)
says whether it is moot, composes it and records its outcome.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from django.db import transaction

from core.batches import queryset_delete_in_batches
from core.delivery import Attempt, DeliveryOutcome, Enqueueable, QueuedDelivery, Settled
from outbox.composers import ComposeFailed, composer_for
from outbox.models import OutboxEmail

logger = logging.getLogger(__name__)


def outbox_email_create(*, kind: str, recipient: str, subject_id: int) -> OutboxEmail:
    """Queue an email of a registered `kind` about the app's row `subject_id`; it is handed
    to Celery when the transaction commits. Its composer writes it at send time."""
    composer_for(kind=kind)  # an unregistered kind is refused here, not in the worker
    row = OutboxEmail.objects.create(kind=kind, recipient=recipient, subject_id=subject_id)
    transaction.on_commit(lambda: outbox_dispatch(email_id=row.pk))
    return row


class EmailDelivery(QueuedDelivery[OutboxEmail]):
    """The outbox's pipeline (core.delivery): a row is moot when its composer says so
    (SKIPPED), fails at once when it cannot be composed, and is retried on SMTP trouble."""

    model = OutboxEmail
    label = "outbox email"
    max_attempts_setting = "KEYSERVICE_OUTBOX_MAX_ATTEMPTS"
    retry_base_setting = "KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS"
    stale_setting = "KEYSERVICE_OUTBOX_STALE_SECONDS"
    delivered_outcome = DeliveryOutcome.SENT
    delivered_at_field = "sent_at"

    def task(self) -> Enqueueable:
        from outbox.tasks import outbox_send  # the services ⇄ tasks pair: tasks imports us

        task: Enqueueable = outbox_send  # celery ships no type information
        return task

    def skip_reason(self, row: OutboxEmail) -> str | None:
        return composer_for(kind=row.kind).skip_reason(row)

    def attempt(self, row: OutboxEmail) -> Attempt:
        try:
            message = composer_for(kind=row.kind).message(row)
        except ComposeFailed as exc:  # e.g. the key's encryption key was dropped from the config
            return Attempt(delivered=False, error=str(exc))
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            return Attempt(delivered=False, retryable=True, error=f"{type(exc).__name__}: {exc}")
        return Attempt(delivered=True)

    def settled(self, row: OutboxEmail, result: Settled) -> None:
        """Recorded where the row's composer keeps history (visible in admin either way)."""
        if result.outcome is DeliveryOutcome.RETRY:
            logger.warning(
                "outbox email %s attempt %s failed; retry in %.0fs",
                row.pk,
                row.attempts,
                result.retry_in,
            )
            return
        composer_for(kind=row.kind).record(row, result.outcome, row.last_error)
        if result.outcome is DeliveryOutcome.SENT:
            logger.info("outbox email %s (%s) sent to %s", row.pk, row.kind, row.recipient)
        elif result.outcome is DeliveryOutcome.FAILED:
            logger.error("outbox email %s failed after %s attempt(s)", row.pk, row.attempts)


EMAILS = EmailDelivery()


def outbox_dispatch(*, email_id: int) -> bool:
    """Hand one row to the broker. A broker outage is logged, not raised: the sweep retries."""
    return EMAILS.dispatch(pk=email_id)


def outbox_sweep() -> int:
    """Re-enqueue pending rows that never reached the broker or whose message was lost."""
    return EMAILS.sweep()


def outbox_deliver(*, email_id: int) -> Settled:
    """Send one row if it is still pending. Never raises for SMTP trouble: it reports it."""
    return EMAILS.deliver(pk=email_id)


def outbox_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete sent and skipped rows created before `before`, `batch_size` rows per statement.
    Pending and failed rows are kept whatever their age: operators act on those."""
    settled = OutboxEmail.objects.filter(
        state__in=[OutboxEmail.State.SENT, OutboxEmail.State.SKIPPED], created_at__lt=before
    )
    return queryset_delete_in_batches(settled, batch_size=batch_size)
