"""The email outbox: rows written in the caller's transaction, sent by a Celery task.

The task message carries only the row id. Delivery locks the row, so a retried or duplicated
task never sends twice; the row's composer (outbox.composers, registered by the app that
enqueues the kind) says whether it is moot, composes it and records its outcome.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.batches import queryset_delete_in_batches
from core.queued import retry_backoff, row_dispatch, rows_to_sweep
from outbox.composers import ComposeFailed, Outcome, composer_for
from outbox.models import OutboxEmail

logger = logging.getLogger(__name__)


def outbox_email_create(*, kind: str, recipient: str, subject_id: int) -> OutboxEmail:
    """Queue an email of a registered `kind` about the app's row `subject_id`; it is handed
    to Celery when the transaction commits. Its composer writes it at send time."""
    composer_for(kind=kind)  # an unregistered kind is refused here, not in the worker
    row = OutboxEmail.objects.create(kind=kind, recipient=recipient, subject_id=subject_id)
    transaction.on_commit(lambda: outbox_dispatch(email_id=row.pk))
    return row


def outbox_dispatch(*, email_id: int) -> bool:
    """Hand one row to the broker. A broker outage is logged, not raised: the sweep retries."""
    from outbox.tasks import outbox_send  # the services ⇄ tasks pair: tasks imports this module

    return row_dispatch(model=OutboxEmail, pk=email_id, task=outbox_send, label="outbox email")


def outbox_sweep() -> int:
    """Re-enqueue pending rows that never reached the broker or whose message was lost."""
    ids = rows_to_sweep(
        pending=OutboxEmail.objects.filter(state=OutboxEmail.State.PENDING),
        stale_seconds=settings.KEYSERVICE_OUTBOX_STALE_SECONDS,
    )
    return sum(outbox_dispatch(email_id=pk) for pk in ids)


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    NOOP = "noop"  # no such row, or it left `pending` already
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    outcome: DeliveryOutcome
    retry_in: float | None = None


def outbox_deliver(*, email_id: int) -> Delivery:
    """Send one row if it is still pending. Never raises for SMTP trouble: it reports it."""
    with transaction.atomic():
        row = OutboxEmail.objects.select_for_update().filter(pk=email_id).first()
        if row is None or row.state != OutboxEmail.State.PENDING:
            return Delivery(DeliveryOutcome.NOOP)
        composer = composer_for(kind=row.kind)
        reason = composer.skip_reason(row)
        if reason is not None:
            row.state = OutboxEmail.State.SKIPPED
            row.last_error = reason
            row.save(update_fields=["state", "last_error"])
            composer.record(row, Outcome.SKIPPED, reason)
            return Delivery(DeliveryOutcome.SKIPPED)
        row.attempts += 1
        try:
            message = composer.message(row)
        except ComposeFailed as exc:  # e.g. the key's encryption key was dropped from the config
            return _give_up(row, str(exc))
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            if row.attempts >= settings.KEYSERVICE_OUTBOX_MAX_ATTEMPTS:
                return _give_up(row, error)
            delay = retry_backoff(
                base=settings.KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS, attempt=row.attempts
            )
            row.last_error = error[:500]
            row.due_at = timezone.now() + timedelta(seconds=delay)
            row.save(update_fields=["attempts", "last_error", "due_at"])
            logger.warning(
                "outbox email %s attempt %s failed; retry in %.0fs", row.pk, row.attempts, delay
            )
            return Delivery(DeliveryOutcome.RETRY, retry_in=delay)
        row.state = OutboxEmail.State.SENT
        row.sent_at = timezone.now()
        row.last_error = ""
        row.save(update_fields=["attempts", "state", "sent_at", "last_error"])
        composer.record(row, Outcome.SENT)
        logger.info("outbox email %s (%s) sent to %s", row.pk, row.kind, row.recipient)
        return Delivery(DeliveryOutcome.SENT)


def _give_up(row: OutboxEmail, error: str) -> Delivery:
    """Mark the row failed: visible in admin (and wherever its composer records outcomes)."""
    row.state = OutboxEmail.State.FAILED
    row.last_error = error[:500]
    row.save(update_fields=["attempts", "last_error", "state"])
    composer_for(kind=row.kind).record(row, Outcome.FAILED, row.last_error)
    logger.error("outbox email %s failed after %s attempt(s)", row.pk, row.attempts)
    return Delivery(DeliveryOutcome.FAILED)


def outbox_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete sent and skipped rows created before `before`, `batch_size` rows per statement.
    Pending and failed rows are kept whatever their age: operators act on those."""
    settled = OutboxEmail.objects.filter(
        state__in=[OutboxEmail.State.SENT, OutboxEmail.State.SKIPPED], created_at__lt=before
    )
    return queryset_delete_in_batches(settled, batch_size=batch_size)
