"""The queued-delivery skeleton, driven by a pipeline whose attempts are scripted. Its rows are
outbox emails (core has no model of its own); nothing here composes or sends one."""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace

import pytest

from core.delivery import (
    MAX_BACKOFF_SECONDS,
    Attempt,
    DeliveryOutcome,
    QueuedDelivery,
    Settled,
    task_retry,
)
from core.delivery.dispatch import retry_backoff
from outbox.models import OutboxEmail


class Broker:
    """A Celery task's `delay`, recording the ids it was given (or failing like kombu)."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.sent: list[int] = []

    def delay(self, pk: int) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        self.sent.append(pk)


class Scripted(QueuedDelivery[OutboxEmail]):
    model = OutboxEmail
    label = "scripted email"
    max_attempts_setting = "KEYSERVICE_OUTBOX_MAX_ATTEMPTS"
    retry_base_setting = "KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS"
    stale_setting = "KEYSERVICE_OUTBOX_STALE_SECONDS"
    delivered_outcome = DeliveryOutcome.SENT
    delivered_at_field = "sent_at"

    def __init__(self, *attempts: Attempt, skip: str | None = None) -> None:
        self.attempts = deque(attempts)
        self.skip = skip
        self.broker = Broker()
        self.seen: list[tuple[int, DeliveryOutcome]] = []

    def task(self) -> Broker:
        return self.broker

    def skip_reason(self, row: OutboxEmail) -> str | None:
        return self.skip

    def attempt(self, row: OutboxEmail) -> Attempt:
        return self.attempts.popleft()

    def settled(self, row: OutboxEmail, result: Settled) -> None:
        self.seen.append((row.attempts, result.outcome))


FAILS = Attempt(delivered=False, retryable=True, error="SMTPServerDisconnected: gone")
SENT = Attempt(delivered=True)


@pytest.fixture
def row(db):
    return OutboxEmail.objects.create(kind="test", recipient="alice@example.com")


def test_a_retryable_failure_is_retried_then_delivered_then_left_alone(row, settings):
    settings.KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS = 10
    pipeline = Scripted(FAILS, SENT)

    first = pipeline.deliver(pk=row.pk)
    row.refresh_from_db()
    assert first.outcome == "retry" and 8 <= first.retry_in <= 12
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, FAILS.error)
    assert row.due_at is not None

    assert pipeline.deliver(pk=row.pk).outcome == "sent"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error, row.due_at) == ("sent", 2, "", None)
    assert row.sent_at is not None

    assert pipeline.deliver(pk=row.pk) == Settled(DeliveryOutcome.NOOP)
    assert pipeline.seen == [(1, "retry"), (2, "sent")]  # a no-op is not a settlement


def test_a_row_is_given_up_when_its_attempts_are_spent(row, settings):
    settings.KEYSERVICE_OUTBOX_MAX_ATTEMPTS = 2
    pipeline = Scripted(FAILS, FAILS)
    outcomes = [pipeline.deliver(pk=row.pk).outcome for _ in range(3)]
    row.refresh_from_db()
    assert outcomes == ["retry", "failed", "noop"]
    assert (row.state, row.attempts, row.due_at) == ("failed", 2, None)


def test_a_final_failure_is_not_retried(row):
    final = Attempt(delivered=False, error="ComposeFailed: the key cannot be decrypted")
    assert Scripted(final).deliver(pk=row.pk).outcome == "failed"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("failed", 1, final.error)


def test_a_one_shot_run_is_never_retried(row):
    assert Scripted(FAILS).run(row, may_retry=False).outcome == "failed"


def test_a_moot_row_is_skipped_without_an_attempt(row):
    result = Scripted(skip="the key was rotated").deliver(pk=row.pk)
    row.refresh_from_db()
    assert result == Settled(DeliveryOutcome.SKIPPED)
    assert (row.state, row.attempts, row.last_error) == ("skipped", 0, "the key was rotated")


def test_a_receivers_retry_after_is_honoured_up_to_the_backoff_cap():
    pipeline = Scripted()
    asked = Attempt(delivered=False, retryable=True, retry_after=7.0)
    assert pipeline.retry_delay(asked, attempts=1) == 7.0
    greedy = Attempt(delivered=False, retryable=True, retry_after=86400.0)
    assert pipeline.retry_delay(greedy, attempts=1) == MAX_BACKOFF_SECONDS


@pytest.mark.parametrize("attempt", [1, 2, 3, 20])
def test_the_backoff_doubles_per_attempt_with_a_fifth_of_jitter_and_a_cap(attempt):
    delay = retry_backoff(base=30, attempt=attempt)
    expected = 30 * 2 ** (attempt - 1)
    assert min(expected * 0.8, MAX_BACKOFF_SECONDS) <= delay <= min(expected * 1.2, 3000)


def test_dispatch_hands_the_id_to_the_task_and_marks_the_row_due(row):
    pipeline = Scripted()
    assert pipeline.dispatch(pk=row.pk) is True
    row.refresh_from_db()
    assert pipeline.broker.sent == [row.pk] and row.due_at is not None


def test_a_broker_outage_leaves_the_row_to_the_sweep(row, settings):
    pipeline = Scripted()
    pipeline.broker.down = True
    assert pipeline.dispatch(pk=row.pk) is False
    row.refresh_from_db()
    assert row.due_at is None
    pipeline.broker.down = False
    assert pipeline.sweep() == 1  # never enqueued: swept at once
    assert pipeline.broker.sent == [row.pk]
    assert pipeline.sweep() == 0  # enqueued just now: not overdue


class Task:
    def __init__(self, *, eager: bool) -> None:
        self.request = SimpleNamespace(is_eager=eager)

    def retry(self, *, countdown: float) -> Exception:
        return RuntimeError(f"retry in {countdown}")


def test_a_task_raises_its_retry_only_outside_eager_mode():
    retry = Settled(DeliveryOutcome.RETRY, retry_in=5.0)
    with pytest.raises(RuntimeError, match=r"retry in 5\.0"):
        task_retry(Task(eager=False), retry)
    assert task_retry(Task(eager=True), retry) is retry
    done = Settled(DeliveryOutcome.SENT)
    assert task_retry(Task(eager=False), done) is done
