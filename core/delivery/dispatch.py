"""Rows handed to Celery by id (outbox emails, webhook and lifecycle deliveries): dispatch,
sweep and backoff, used by the pipeline skeleton (core/delivery/pipeline.py).

A row records when its next attempt is due (`due_at`). Enqueuing sets it; a broker outage
clears it and is logged, not raised; the periodic sweep re-enqueues pending rows that never
reached the broker (`due_at` empty) or are long overdue (their message was lost).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any, Protocol

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500
# A retry countdown must stay below the broker's visibility timeout (settings:
# CELERY_BROKER_TRANSPORT_OPTIONS, 3600 s), or Redis re-delivers a task still waiting.
MAX_BACKOFF_SECONDS = 3000


class Enqueueable(Protocol):
    """A Celery task, as far as dispatching goes (celery ships no type information)."""

    def delay(self, *args: Any, **kwargs: Any) -> object: ...


def row_dispatch(*, model: type[Model], pk: int, task: Enqueueable, label: str) -> bool:
    """Enqueue `task(pk)`; False (and `due_at` cleared) when the broker is unreachable."""
    # `_default_manager` is the queued models' `objects` (they declare no other manager);
    # a bare `type[Model]` has no `objects` attribute for the type checker.
    model._default_manager.filter(pk=pk).update(due_at=timezone.now())
    try:
        task.delay(pk)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning(
            "%s %s not enqueued (%s); the periodic sweep will retry", label, pk, type(exc).__name__
        )
        model._default_manager.filter(pk=pk).update(due_at=None)
        return False
    return True


def rows_to_sweep(*, pending: QuerySet[Any], stale_seconds: int) -> list[int]:
    """Ids of pending rows never enqueued, or overdue by more than `stale_seconds`."""
    stale_before = timezone.now() - timedelta(seconds=stale_seconds)
    due = Q(due_at__isnull=True) | Q(due_at__lt=stale_before)
    return list(pending.filter(due).values_list("pk", flat=True)[:SWEEP_BATCH])


def retry_backoff(*, base: float, attempt: int) -> float:
    """Seconds before retry `attempt + 1`: base doubling per attempt, ±20% jitter, capped."""
    doubling: float = 2 ** (attempt - 1)  # int ** int is typed Any (a negative power is a float)
    return min(base * doubling * random.uniform(0.8, 1.2), MAX_BACKOFF_SECONDS)
