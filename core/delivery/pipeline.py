"""The queued-delivery skeleton: one row, one attempt at a time, settled or retried.

A pipeline (the outbox's emails, webhooks' deliveries, lifecycle's deliveries) is a subclass
of QueuedDelivery that says what differs: its model, its Celery task, its attempt function,
the settings that bound its retries, and what a settled row records. The rest is written
here once:

- `dispatch(pk)`: hand the row's id to the task (dispatch.row_dispatch: a broker outage is
  logged, and the sweep retries);
- `sweep()`: re-dispatch pending rows that never reached the broker or whose message was lost;
- `deliver(pk)`: lock the row (a retried or duplicated task never touches a settled row
  again), then `run` it: NOOP when it is no longer pending;
- `run(row)`: moot (`skip_reason`) → SKIPPED; else one attempt (`attempts` counts it), then
  DELIVERED (or the pipeline's word for it), RETRY (retryable, under the attempt budget and
  allowed by `retry_allowed`: after the receiver's Retry-After, capped, else the backoff) or
  FAILED; the row saved with its state, its last error and when it is next due;
- `task_retry`: what the Celery task does with a RETRY (raise Celery's retry, or, in eager
  mode, leave the row to the sweep).

A row's state is the value of the outcome that settled it ("sent", "delivered", "failed",
"skipped"), so the pipelines' State choices and DeliveryOutcome agree by construction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from core.delivery.dispatch import (
    MAX_BACKOFF_SECONDS,
    Enqueueable,
    retry_backoff,
    row_dispatch,
    rows_to_sweep,
)

PENDING = "pending"
ERROR_LENGTH = 500  # the rows' last_error column


class DeliveryOutcome(StrEnum):
    """What one call of `deliver` (or `run`) came to. A settled row's state is its value."""

    DELIVERED = "delivered"  # the receiver took it (webhooks, lifecycle: a 2xx)
    SENT = "sent"  # the SMTP server took it: the outbox's name for delivered
    SKIPPED = "skipped"  # moot before any attempt (an outbox composer's skip_reason)
    RETRY = "retry"  # not delivered; another attempt is due at the row's `due_at`
    FAILED = "failed"  # given up: final, or out of attempts
    NOOP = "noop"  # nothing to do: no such row, or it is no longer pending


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to, as a pipeline's `attempt` reports it."""

    delivered: bool
    # Another attempt may succeed and is safe (the receiver cannot have processed this one,
    # or processes a repeat idempotently). Never for a final refusal.
    retryable: bool = False
    error: str = ""  # why not delivered, kept as the row's last_error: never a secret
    retry_after: float | None = None  # seconds the receiver asked to wait
    status_code: int | None = None  # the receiver's answer, when it gave one


@dataclass(frozen=True)
class Settled:
    outcome: DeliveryOutcome
    retry_in: float | None = None  # seconds until the next attempt (RETRY only)
    attempt: Attempt | None = None  # None for NOOP and SKIPPED


class QueuedRow(Protocol):
    """The columns every queued row has (each pipeline's model declares them)."""

    pk: Any
    state: str
    attempts: int
    last_error: str
    due_at: datetime | None

    def save(self, *, update_fields: list[str]) -> None: ...


RowT = TypeVar("RowT", bound=Model)


class QueuedDelivery(ABC, Generic[RowT]):
    """One pipeline of rows delivered by a Celery task (see the module's docstring)."""

    model: ClassVar[type[Model]]
    label: ClassVar[str]  # "outbox email": the log lines' name of a row
    # The settings that bound the pipeline (read at each use: tests and operators change them).
    max_attempts_setting: ClassVar[str]
    retry_base_setting: ClassVar[str]  # the backoff's first delay, doubling per attempt
    stale_setting: ClassVar[str]  # how overdue a pending row is before the sweep re-dispatches it
    delivered_outcome: ClassVar[DeliveryOutcome] = DeliveryOutcome.DELIVERED
    delivered_at_field: ClassVar[str] = "delivered_at"
    # Columns an attempt writes besides the common ones (e.g. status_code, duration_ms).
    attempt_fields: ClassVar[tuple[str, ...]] = ()
    # Loaded with the row, under its lock (`select_related`); only the row itself is locked.
    lock_related: ClassVar[tuple[str, ...]] = ()

    # --- what each pipeline says ---------------------------------------------------------

    @abstractmethod
    def task(self) -> Enqueueable:
        """The Celery task that delivers one row by id (imported here: tasks import us)."""

    @abstractmethod
    def attempt(self, row: RowT) -> Attempt:
        """One attempt; `row.attempts` already counts it. Never raises for the receiver's
        trouble: it reports it. May set the row's `attempt_fields`."""

    def skip_reason(self, row: RowT) -> str | None:
        """Why the row is moot now (settled as SKIPPED, no attempt), or None to attempt it."""
        return None

    def retry_allowed(self, row: RowT) -> bool:
        """Whether this row may be retried at all (a project may turn retries off)."""
        return True

    def settled(self, row: RowT, result: Settled) -> None:
        """After the row is saved: log it, count it, record it where the app keeps history."""

    def noop(self) -> None:
        """A delivery that found nothing to do (webhooks count it)."""

    # --- written once --------------------------------------------------------------------

    def dispatch(self, *, pk: int) -> bool:
        """Hand one row to the broker. A broker outage is logged, not raised: the sweep retries."""
        return row_dispatch(model=self.model, pk=pk, task=self.task(), label=self.label)

    def sweep(self) -> int:
        """Re-dispatch pending rows that never reached the broker or whose message was lost."""
        ids = rows_to_sweep(
            pending=self.model._default_manager.filter(state=PENDING),
            stale_seconds=getattr(settings, self.stale_setting),
        )
        return sum(self.dispatch(pk=pk) for pk in ids)

    def deliver(self, *, pk: int) -> Settled:
        """Run the row if it is still pending, under its row lock."""
        with transaction.atomic():
            rows = self.model._default_manager.all()
            if self.lock_related:
                rows = rows.select_related(*self.lock_related).select_for_update(of=("self",))
            else:
                rows = rows.select_for_update()
            row: Any = rows.filter(pk=pk).first()
            if row is None or row.state != PENDING:
                self.noop()
                return Settled(DeliveryOutcome.NOOP)
            return self.run(row)

    def run(self, row: RowT, *, may_retry: bool = True) -> Settled:
        """Skip, or make one attempt and settle the row (see the module's docstring).
        `may_retry=False`: one attempt only, whatever it comes to (a test send)."""
        queued: QueuedRow = row  # type: ignore[assignment]  # the model declares the columns
        reason = self.skip_reason(row)
        if reason is not None:
            return self._save(row, queued, Settled(DeliveryOutcome.SKIPPED), error=reason)
        queued.attempts += 1
        attempt = self.attempt(row)
        if attempt.delivered:
            result = Settled(self.delivered_outcome, attempt=attempt)
        elif (
            may_retry
            and attempt.retryable
            and queued.attempts < getattr(settings, self.max_attempts_setting)
            and self.retry_allowed(row)
        ):
            delay = self.retry_delay(attempt, attempts=queued.attempts)
            result = Settled(DeliveryOutcome.RETRY, retry_in=delay, attempt=attempt)
        else:
            result = Settled(DeliveryOutcome.FAILED, attempt=attempt)
        return self._save(row, queued, result, error=attempt.error)

    def retry_delay(self, attempt: Attempt, *, attempts: int) -> float:
        """The receiver's Retry-After when it sent one (at most MAX_BACKOFF_SECONDS), else
        the backoff after `attempts` attempts."""
        if attempt.retry_after is not None:
            return min(attempt.retry_after, float(MAX_BACKOFF_SECONDS))
        base = getattr(settings, self.retry_base_setting)
        return retry_backoff(base=base, attempt=attempts)

    def _save(self, row: RowT, queued: QueuedRow, result: Settled, *, error: str) -> Settled:
        queued.last_error = error[:ERROR_LENGTH]
        fields = ["attempts", "state", "last_error", "due_at", *self.attempt_fields]
        if result.outcome is DeliveryOutcome.RETRY:
            assert result.retry_in is not None
            queued.due_at = timezone.now() + timedelta(seconds=result.retry_in)
        else:
            queued.state = result.outcome.value
            queued.due_at = None
            if result.outcome is self.delivered_outcome:
                setattr(row, self.delivered_at_field, timezone.now())
                fields.append(self.delivered_at_field)
        queued.save(update_fields=fields)
        self.settled(row, result)
        return result


class RetryingTask(Protocol):
    """A bound Celery task, as far as retrying goes (celery ships no type information)."""

    request: Any

    def retry(self, *, countdown: float) -> Exception: ...


# The options of every delivery task: acknowledged after it ran (a worker lost mid-attempt
# leaves the message to be redelivered, and the row lock makes that harmless), retried
# without limit (the row's attempt budget is the limit).
TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": None,
}


def task_retry(task: RetryingTask, result: Settled) -> Settled:
    """Raise the task's retry after `result.retry_in` seconds for a RETRY. In-process (eager)
    mode has no broker to wait on: the row stays pending with its due time, and the
    pipeline's sweep retries it."""
    if result.retry_in is not None and not task.request.is_eager:
        raise task.retry(countdown=result.retry_in)
    return result
