"""Lifecycle deliveries: handed to Celery by id, sent signed, retried with backoff.

An attempt locks the row, so a retried or duplicated task never sends a settled row again.
Every attempt carries the same X-Keyservice-Delivery id and the same body; only the signature
(which signs the time of sending) is new. Unlike customer webhooks, a delivery is retried
whenever the subscriber may not have processed it (no connection, a timeout, a dropped
connection, a 5xx, 408 or 429): the events are cache evictions, which a subscriber applies
idempotently and deduplicates on the delivery id, so at-least-once is what it needs. Only a
refused URL, a redirect or another 4xx is final.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.batches import queryset_delete_in_batches
from core.queued import MAX_BACKOFF_SECONDS, retry_backoff, row_dispatch, rows_to_sweep
from lifecycle.events import lifecycle_body
from lifecycle.models import LifecycleDelivery
from lifecycle.networks import NetworkRefused, networks_load
from lifecycle.senders import SendResult, sender

logger = logging.getLogger(__name__)


def lifecycle_dispatch(*, delivery_id: int) -> bool:
    """Hand one delivery to the broker. A broker outage is logged, not raised: the sweep retries."""
    from lifecycle.tasks import lifecycle_send

    return row_dispatch(
        model=LifecycleDelivery, pk=delivery_id, task=lifecycle_send, label="lifecycle delivery"
    )


def lifecycle_sweep() -> int:
    """Re-enqueue pending deliveries that never reached the broker or whose message was lost."""
    ids = rows_to_sweep(
        pending=LifecycleDelivery.objects.filter(state=LifecycleDelivery.State.PENDING),
        stale_seconds=settings.KEYSERVICE_LIFECYCLE_STALE_SECONDS,
    )
    return sum(lifecycle_dispatch(delivery_id=pk) for pk in ids)


def lifecycle_deliver(*, delivery_id: int) -> float | None:
    """Make one attempt if the delivery is still pending; the seconds until the next attempt
    when it is to be retried, else None. Never raises for network trouble."""
    with transaction.atomic():
        delivery = (
            LifecycleDelivery.objects.select_for_update(of=("self",))
            .select_related("subscriber")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != LifecycleDelivery.State.PENDING:
            return None
        return _settle(delivery, _attempt(delivery))


def _attempt(delivery: LifecycleDelivery) -> SendResult:
    subscriber = delivery.subscriber
    if not subscriber.active:
        return SendResult(False, True, None, "Not sent: the subscriber is disabled")
    try:
        networks = networks_load(subscriber.allowed_networks)
    except NetworkRefused as exc:  # a row edited by hand: never widened, never sent
        return SendResult(False, True, None, f"Refused: allow-list: {exc}")
    return sender()(
        url=subscriber.url,
        body=lifecycle_body(payload=delivery.payload),
        event=delivery.event,
        delivery_id=delivery.public_id,
        secret=subscriber.secret,
        allowed_networks=networks,
    )


def _settle(delivery: LifecycleDelivery, result: SendResult) -> float | None:
    delivery.attempts += 1
    delivery.status_code = result.status_code
    delivery.last_error = result.error[:500]
    fields = ["attempts", "status_code", "last_error", "state", "due_at"]
    retry_in: float | None = None
    if result.delivered:
        delivery.state = LifecycleDelivery.State.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.due_at = None
        fields.append("delivered_at")
    elif not result.final and delivery.attempts < settings.KEYSERVICE_LIFECYCLE_MAX_ATTEMPTS:
        retry_in = _retry_delay(result, attempts=delivery.attempts)
        delivery.due_at = timezone.now() + timedelta(seconds=retry_in)
    else:
        delivery.state = LifecycleDelivery.State.FAILED
        delivery.due_at = None
    delivery.save(update_fields=fields)
    log = logger.info if result.delivered else logger.warning
    log(
        "lifecycle delivery %s %s (%s to %s) attempt %s: %s%s",
        delivery.pk,
        delivery.public_id,
        delivery.event,
        delivery.subscriber.name,
        delivery.attempts,
        "retry" if retry_in is not None else delivery.state,
        f" ({delivery.last_error})" if delivery.last_error else "",
    )
    return retry_in


def _retry_delay(result: SendResult, *, attempts: int) -> float:
    if result.retry_after is not None:
        return min(result.retry_after, float(MAX_BACKOFF_SECONDS))
    return retry_backoff(base=settings.KEYSERVICE_LIFECYCLE_RETRY_BASE_SECONDS, attempt=attempts)


def lifecycle_delivery_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete delivered deliveries created before `before`, in batches (pending and failed
    ones are kept: operators act on those)."""
    delivered = LifecycleDelivery.objects.filter(
        state=LifecycleDelivery.State.DELIVERED, created_at__lt=before
    )
    return queryset_delete_in_batches(delivered, batch_size=batch_size)
