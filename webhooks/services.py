"""Webhook deliveries: rows written in the caller's transaction, sent by a Celery task.

The task message carries only the delivery id. An attempt locks the row, so a retried or
duplicated task never delivers a settled row again. Each attempt is recorded.

Retries never surprise a receiver: every attempt of a delivery carries the same
X-Keyservice-Delivery id and the same body (serialised from the stored payload); only the
signature header is new (it signs the time of sending). A delivery is retried only when the
receiver cannot have processed the attempt (core.outbound.AttemptResult.retryable), after its
Retry-After when it sent one (capped), and never when the project turned retries off
(Webhook.retries). Dispatch, sweep, lock, settle and backoff are core.delivery's skeleton;
WebhookDeliveries says what is webhooks' own.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.batches import queryset_delete_in_batches
from core.delivery import (
    MAX_BACKOFF_SECONDS,
    Attempt,
    DeliveryOutcome,
    Enqueueable,
    QueuedDelivery,
    Settled,
)
from core.errors import ApplicationError
from core.metrics import webhook_delivery_count, webhook_outcomes_declare
from core.outbound import AttemptKind, post, signed_headers
from core.ratelimit import concurrency_slot, rate_parse, ratelimit_hit
from projects.models import Project
from webhooks.configure import webhook_address_policy, webhook_get_or_create
from webhooks.events import WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT, webhook_body, webhook_payload
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.refusals import WebhookRefusal
from webhooks.selectors import webhook_get, webhook_is_subscribed, webhook_signing_secrets

logger = logging.getLogger(__name__)

# A receiver's Retry-After is honoured up to this many seconds (the backoff's own cap).
RETRY_AFTER_MAX_SECONDS: float = MAX_BACKOFF_SECONDS

# The outcomes a webhook delivery can come to (keyservice_webhook_deliveries_total's labels).
WEBHOOK_OUTCOMES = (
    DeliveryOutcome.DELIVERED,
    DeliveryOutcome.RETRY,
    DeliveryOutcome.FAILED,
    DeliveryOutcome.NOOP,
)
webhook_outcomes_declare(outcomes=[outcome.value for outcome in WEBHOOK_OUTCOMES])


@dataclass(frozen=True)
class WebhookTestResult:
    success: bool
    message: str
    status_code: int  # 0 when no HTTP answer (refused, unreachable, timed out)


def webhook_fire(
    *,
    project: Project,
    event: str,
    upload_id: str = "",
    file_url: str = "",
    status: str = "",
    objection: str | None = None,
) -> WebhookDelivery | None:
    """Record a delivery of `event` if the project subscribed; it is enqueued on commit."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    if not webhook_is_subscribed(project=project, event=event):
        return None
    delivery = _delivery_create(
        project=project,
        event=event,
        payload=webhook_payload(
            project_id=project.public_id,
            event=event,
            upload_id=upload_id,
            file_url=file_url,
            status=status,
            objection=objection,
        ),
    )
    transaction.on_commit(lambda: webhook_dispatch(delivery_id=delivery.pk))
    return delivery


def webhook_dispatch(*, delivery_id: int) -> bool:
    """Hand one delivery to the broker. A broker outage is logged, not raised: the sweep retries."""
    return WEBHOOK_DELIVERIES.dispatch(pk=delivery_id)


def webhook_sweep() -> int:
    """Re-enqueue pending deliveries that never reached the broker or whose message was lost."""
    return WEBHOOK_DELIVERIES.sweep()


def webhook_deliver(*, delivery_id: int) -> Settled:
    """Make one attempt if the delivery is still pending. Never raises for network trouble."""
    return WEBHOOK_DELIVERIES.deliver(pk=delivery_id)


def webhook_test_send(*, project: Project) -> WebhookTestResult:
    """Send `webhook.test` now (one attempt, no retry), recorded like any delivery.

    The send runs in the caller's (web) worker for up to KEYSERVICE_WEBHOOK_TIMEOUT, so it is
    limited here, for the API and the dashboard alike: a per-project budget (the "test_webhook"
    rate, TEST_THROTTLED past it), and one per project and
    KEYSERVICE_WEBHOOK_TEST_CONCURRENCY in all at once, so slow receivers can never hold every
    worker (TEST_BUSY). Refusals are ApplicationErrors (WebhookRefusal, `retry_after` set for
    the two budgets) and send nothing.
    """
    hook = webhook_get(project=project)
    if hook is None or not hook.url:
        raise ApplicationError(WebhookRefusal.NOT_CONFIGURED, "No webhook URL configured")
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get("test_webhook")
    if rate is not None:
        decision = ratelimit_hit(
            scope="test_webhook", ident=project.public_id, rate=rate_parse(rate)
        )
        if not decision.allowed:
            wait = math.ceil(decision.retry_after or 1)
            message = f"Too many test webhooks: try again in {wait} s."
            raise ApplicationError(WebhookRefusal.TEST_THROTTLED, message, retry_after=wait)
    deadline = settings.KEYSERVICE_WEBHOOK_TIMEOUT
    ttl = int(deadline) + 30  # a slot of a killed worker is given back after this
    with (
        concurrency_slot(scope="webhook_test", ident=project.public_id, limit=1, ttl=ttl) as mine,
        concurrency_slot(
            scope="webhook_test",
            ident="all projects",
            limit=settings.KEYSERVICE_WEBHOOK_TEST_CONCURRENCY,
            ttl=ttl,
        ) as any_,
    ):
        if not (mine and any_):
            message = f"A test webhook is already being sent: try again in {deadline:g} s."
            raise ApplicationError(WebhookRefusal.TEST_BUSY, message, retry_after=deadline)
        return _test_send(project)


def _test_send(project: Project) -> WebhookTestResult:
    delivery = _delivery_create(
        project=project,
        event=WEBHOOK_TEST_EVENT,
        payload=webhook_payload(project_id=project.public_id, event=WEBHOOK_TEST_EVENT),
    )
    attempt = WEBHOOK_DELIVERIES.run(delivery, may_retry=False).attempt
    assert attempt is not None  # a test delivery is never moot
    if attempt.delivered:
        message = "Test webhook delivered"  # the hosted platform's exact wording (docs/api.md)
    elif attempt.status_code is not None:
        message = "Webhook endpoint returned non-2xx status"  # its status is `statusCode`
    else:
        message = attempt.error
    return WebhookTestResult(
        success=attempt.delivered, message=message, status_code=attempt.status_code or 0
    )


def _delivery_create(
    *, project: Project, event: str, payload: dict[str, object]
) -> WebhookDelivery:
    url = webhook_get_or_create(project=project).url
    return WebhookDelivery.objects.create(project=project, event=event, url=url, payload=payload)


class WebhookDeliveries(QueuedDelivery[WebhookDelivery]):
    """Webhooks' pipeline (core.delivery): each attempt signed and kept as a WebhookAttempt,
    retried only when the receiver cannot have processed it and the project allows retries."""

    model = WebhookDelivery
    label = "webhook delivery"
    max_attempts_setting = "KEYSERVICE_WEBHOOK_MAX_ATTEMPTS"
    retry_base_setting = "KEYSERVICE_WEBHOOK_RETRY_BASE_SECONDS"
    stale_setting = "KEYSERVICE_WEBHOOK_STALE_SECONDS"
    attempt_fields = ("status_code", "duration_ms")
    lock_related = ("project",)

    def task(self) -> Enqueueable:
        from webhooks.tasks import webhook_send  # tasks imports this module

        task: Enqueueable = webhook_send  # celery ships no type information
        return task

    def attempt(self, row: WebhookDelivery) -> Attempt:
        """One HTTP attempt, signed with the project's current secret (and the previous one
        during a rotation's overlap), recorded as a row."""
        body = webhook_body(payload=row.payload)
        hook = webhook_get_or_create(project=row.project)
        secret, *previous = webhook_signing_secrets(webhook=hook, now=timezone.now())
        headers = signed_headers(
            secret=secret,
            body=body,
            event=row.event,
            delivery_id=row.public_id,
            previous_secrets=previous,
        )
        result = post(
            url=row.url,
            body=body,
            headers=headers,
            timeout=settings.KEYSERVICE_WEBHOOK_TIMEOUT,
            policy=webhook_address_policy(),
            ca_certs=settings.KEYSERVICE_WEBHOOK_CA_BUNDLE or None,
        )
        row.status_code = result.status_code
        row.duration_ms = result.duration_ms
        WebhookAttempt.objects.create(
            delivery=row,
            number=row.attempts,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            error=result.error[:500],
        )
        return Attempt(
            delivered=result.kind is AttemptKind.OK,
            retryable=result.retryable,
            error=result.error,
            retry_after=result.retry_after,
            status_code=result.status_code,
        )

    def retry_allowed(self, row: WebhookDelivery) -> bool:
        return webhook_get_or_create(project=row.project).retries

    def noop(self) -> None:
        webhook_delivery_count(outcome=DeliveryOutcome.NOOP.value)

    def settled(self, row: WebhookDelivery, result: Settled) -> None:
        webhook_delivery_count(outcome=result.outcome.value)
        log = logger.info if result.outcome is DeliveryOutcome.DELIVERED else logger.warning
        log(
            "webhook delivery %s %s (%s) attempt %s: %s%s",
            row.pk,
            row.public_id,
            row.event,
            row.attempts,
            result.outcome,
            f" ({row.last_error})" if row.last_error else "",
        )


WEBHOOK_DELIVERIES = WebhookDeliveries()


def webhook_delivery_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete delivered deliveries (with their attempts) created before `before`, in batches.
    Pending and failed deliveries are kept whatever their age: operators act on those."""
    delivered = WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.DELIVERED, created_at__lt=before
    )
    return queryset_delete_in_batches(delivered, batch_size=batch_size)
