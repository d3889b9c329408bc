"""Lifecycle deliveries: handed to Celery by id, sent signed, retried with backoff.

Dispatch, sweep, the row lock, settle and backoff are core.delivery's skeleton;
SubscriberDeliveries says what is lifecycle's own. Every attempt carries the same
X-Keyservice-Delivery id and the same body; only the signature (which signs the time of
sending) is new. Sent through core.outbound like a customer webhook, with the subscriber's
own allow-list of private networks as the address policy (lifecycle.networks); the global
KEYSERVICE_WEBHOOK_ALLOW_PRIVATE does not apply.

Unlike customer webhooks, a delivery is retried whenever the subscriber may not have
processed it (no connection, a timeout, a dropped connection, a 5xx, 408 or 429): the events
are cache evictions, which a subscriber applies idempotently and deduplicates on the delivery
id, so at-least-once is what it needs. Only a refused URL, a redirect or another 4xx is final.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings

from core.batches import queryset_delete_in_batches
from core.delivery import Attempt, Enqueueable, QueuedDelivery, Settled
from core.outbound import AddressPolicy, AttemptKind, AttemptResult, post, signed_headers
from lifecycle.events import lifecycle_body
from lifecycle.models import LifecycleDelivery
from lifecycle.networks import NetworkRefused, networks_load

logger = logging.getLogger(__name__)

# Answers after which another attempt is pointless: the request itself is wrong.
_RETRYABLE_4XX = frozenset({408, 429})


class SubscriberDeliveries(QueuedDelivery[LifecycleDelivery]):
    model = LifecycleDelivery
    label = "lifecycle delivery"
    max_attempts_setting = "KEYSERVICE_LIFECYCLE_MAX_ATTEMPTS"
    retry_base_setting = "KEYSERVICE_LIFECYCLE_RETRY_BASE_SECONDS"
    stale_setting = "KEYSERVICE_LIFECYCLE_STALE_SECONDS"
    attempt_fields = ("status_code",)
    lock_related = ("subscriber",)

    def task(self) -> Enqueueable:
        from lifecycle.tasks import lifecycle_send  # tasks imports this module

        task: Enqueueable = lifecycle_send  # celery ships no type information
        return task

    def attempt(self, row: LifecycleDelivery) -> Attempt:
        row.status_code = None
        subscriber = row.subscriber
        if not subscriber.active:
            return Attempt(delivered=False, error="Not sent: the subscriber is disabled")
        try:
            networks = networks_load(subscriber.allowed_networks)
        except NetworkRefused as exc:  # a row edited by hand: never widened, never sent
            return Attempt(delivered=False, error=f"Refused: allow-list: {exc}")
        body = lifecycle_body(payload=row.payload)
        result = post(
            url=subscriber.url,
            body=body,
            headers=signed_headers(
                secret=subscriber.secret, body=body, event=row.event, delivery_id=row.public_id
            ),
            timeout=settings.KEYSERVICE_LIFECYCLE_TIMEOUT,
            policy=AddressPolicy(allowed_networks=networks),
            ca_certs=settings.KEYSERVICE_WEBHOOK_CA_BUNDLE or None,
        )
        row.status_code = result.status_code
        return Attempt(
            delivered=result.kind is AttemptKind.OK,
            retryable=not _final(result),
            error=result.error,
            retry_after=result.retry_after,
            status_code=result.status_code,
        )

    def settled(self, row: LifecycleDelivery, result: Settled) -> None:
        log = logger.info if result.outcome is self.delivered_outcome else logger.warning
        log(
            "lifecycle delivery %s %s (%s to %s) attempt %s: %s%s",
            row.pk,
            row.public_id,
            row.event,
            row.subscriber.name,
            row.attempts,
            result.outcome,
            f" ({row.last_error})" if row.last_error else "",
        )


def _final(result: AttemptResult) -> bool:
    """Never worth another attempt: the URL is refused, a redirect, or a 4xx but 408/429."""
    status = result.status_code
    return result.kind is AttemptKind.REFUSED or (
        result.kind is AttemptKind.HTTP
        and status is not None
        and 300 <= status < 500
        and status not in _RETRYABLE_4XX
    )


SUBSCRIBER_DELIVERIES = SubscriberDeliveries()


def lifecycle_dispatch(*, delivery_id: int) -> bool:
    """Hand one delivery to the broker. A broker outage is logged, not raised: the sweep retries."""
    return SUBSCRIBER_DELIVERIES.dispatch(pk=delivery_id)


def lifecycle_sweep() -> int:
    """Re-enqueue pending deliveries that never reached the broker or whose message was lost."""
    return SUBSCRIBER_DELIVERIES.sweep()


def lifecycle_deliver(*, delivery_id: int) -> float | None:
    """Make one attempt if the delivery is still pending; the seconds until the next attempt
    when it is to be retried, else None. Never raises for network trouble."""
    return SUBSCRIBER_DELIVERIES.deliver(pk=delivery_id).retry_in


def lifecycle_delivery_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete delivered deliveries created before `before`, in batches (pending and failed
    ones are kept: operators act on those)."""
    delivered = LifecycleDelivery.objects.filter(
        state=LifecycleDelivery.State.DELIVERED, created_at__lt=before
    )
    return queryset_delete_in_batches(delivered, batch_size=batch_size)
