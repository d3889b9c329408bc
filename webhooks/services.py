"""Webhook deliveries: rows written in the caller's transaction, sent by a Celery task.

The task message carries only the delivery id. An attempt locks the row, so a retried or
duplicated task never delivers a settled row again. Each attempt is recorded.

Retries never surprise a receiver: every attempt of a delivery carries the same
X-Keyservice-Delivery id and the same body (serialised from the stored payload); only the
signature header is new (it signs the time of sending). A delivery is retried only when the
receiver cannot have processed the attempt (AttemptResult.retryable), after its Retry-After
when it sent one (capped), and never when the project turned retries off (Webhook.retries).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.batches import queryset_delete_in_batches
from core.errors import ApplicationError
from core.metrics import webhook_delivery_count, webhook_outcomes_declare
from core.queued import MAX_BACKOFF_SECONDS, retry_backoff, row_dispatch, rows_to_sweep
from core.ratelimit import concurrency_slot, rate_parse, ratelimit_hit
from projects.models import Project
from webhooks.configure import webhook_get_or_create
from webhooks.events import WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT, webhook_body, webhook_payload
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.refusals import WebhookRefusal
from webhooks.selectors import webhook_get, webhook_is_subscribed, webhook_signing_secrets
from webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header
from webhooks.transport import AttemptKind, AttemptResult, webhook_post

logger = logging.getLogger(__name__)

# A receiver's Retry-After is honoured up to this many seconds (the backoff's own cap).
RETRY_AFTER_MAX_SECONDS: float = MAX_BACKOFF_SECONDS


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    NOOP = "noop"  # nothing to do: the delivery is no longer pending


webhook_outcomes_declare(outcomes=[outcome.value for outcome in DeliveryOutcome])


@dataclass(frozen=True)
class WebhookOutcome:
    outcome: DeliveryOutcome
    retry_in: float | None = None


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
    from webhooks.tasks import webhook_send

    return row_dispatch(
        model=WebhookDelivery, pk=delivery_id, task=webhook_send, label="webhook delivery"
    )


def webhook_sweep() -> int:
    """Re-enqueue pending deliveries that never reached the broker or whose message was lost."""
    ids = rows_to_sweep(
        pending=WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING),
        stale_seconds=settings.KEYSERVICE_WEBHOOK_STALE_SECONDS,
    )
    return sum(webhook_dispatch(delivery_id=pk) for pk in ids)


def webhook_deliver(*, delivery_id: int) -> WebhookOutcome:
    """Make one attempt if the delivery is still pending. Never raises for network trouble."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != WebhookDelivery.State.PENDING:
            webhook_delivery_count(outcome=DeliveryOutcome.NOOP.value)
            return WebhookOutcome(DeliveryOutcome.NOOP)
        result = _attempt(delivery)
        return _settle(delivery, result, may_retry=True)


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
    result = _attempt(delivery)
    _settle(delivery, result, may_retry=False)
    if result.kind is AttemptKind.OK:
        message = "Test webhook delivered"  # the hosted platform's exact wording (docs/api.md)
    elif result.kind is AttemptKind.HTTP:
        message = "Webhook endpoint returned non-2xx status"  # its status is `statusCode`
    else:
        message = result.error
    return WebhookTestResult(
        success=result.kind is AttemptKind.OK, message=message, status_code=result.status_code or 0
    )


def _delivery_create(
    *, project: Project, event: str, payload: dict[str, object]
) -> WebhookDelivery:
    url = webhook_get_or_create(project=project).url
    return WebhookDelivery.objects.create(project=project, event=event, url=url, payload=payload)


def _attempt(delivery: WebhookDelivery) -> AttemptResult:
    """One HTTP attempt, signed with the project's current secret (and the previous one during
    a rotation's overlap), recorded as a row."""
    body = webhook_body(payload=delivery.payload)
    hook = webhook_get_or_create(project=delivery.project)
    secret, *previous = webhook_signing_secrets(webhook=hook, now=timezone.now())
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: delivery.public_id,
        # Signs this attempt's time with the body, so a retry is fresh for the receiver's
        # replay window while the body stays byte-identical.
        SIGNATURE_HEADER: signature_header(secret=secret, body=body, previous_secrets=previous),
    }
    result = webhook_post(
        url=delivery.url,
        body=body,
        headers=headers,
        timeout=settings.KEYSERVICE_WEBHOOK_TIMEOUT,
        allow_private=settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE,
        ca_certs=settings.KEYSERVICE_WEBHOOK_CA_BUNDLE or None,
    )
    delivery.attempts += 1
    delivery.status_code = result.status_code
    delivery.duration_ms = result.duration_ms
    delivery.last_error = result.error[:500]
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=delivery.last_error,
    )
    return result


def _settle(delivery: WebhookDelivery, result: AttemptResult, *, may_retry: bool) -> WebhookOutcome:
    fields = ["attempts", "status_code", "duration_ms", "last_error", "state", "due_at"]
    retry = (
        may_retry
        and webhook_get_or_create(project=delivery.project).retries
        and result.retryable
        and delivery.attempts < settings.KEYSERVICE_WEBHOOK_MAX_ATTEMPTS
    )
    if result.kind is AttemptKind.OK:
        delivery.state = WebhookDelivery.State.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.due_at = None
        fields.append("delivered_at")
        outcome = WebhookOutcome(DeliveryOutcome.DELIVERED)
    elif retry:
        delay = _retry_delay(result, attempts=delivery.attempts)
        delivery.due_at = timezone.now() + timedelta(seconds=delay)
        outcome = WebhookOutcome(DeliveryOutcome.RETRY, retry_in=delay)
    else:
        delivery.state = WebhookDelivery.State.FAILED
        delivery.due_at = None
        outcome = WebhookOutcome(DeliveryOutcome.FAILED)
    delivery.save(update_fields=fields)
    webhook_delivery_count(outcome=outcome.outcome.value)
    log = logger.info if outcome.outcome is DeliveryOutcome.DELIVERED else logger.warning
    log(
        "webhook delivery %s %s (%s) attempt %s: %s%s",
        delivery.pk,
        delivery.public_id,
        delivery.event,
        delivery.attempts,
        outcome.outcome,
        f" ({delivery.last_error})" if delivery.last_error else "",
    )
    return outcome


def _retry_delay(result: AttemptResult, *, attempts: int) -> float:
    """The receiver's Retry-After when it sent one (at most RETRY_AFTER_MAX_SECONDS), else
    the backoff after `attempts` attempts."""
    if result.retry_after is not None:
        return min(result.retry_after, RETRY_AFTER_MAX_SECONDS)
    return retry_backoff(base=settings.KEYSERVICE_WEBHOOK_RETRY_BASE_SECONDS, attempt=attempts)


def webhook_delivery_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete delivered deliveries (with their attempts) created before `before`, in batches.
    Pending and failed deliveries are kept whatever their age: operators act on those."""
    delivered = WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.DELIVERED, created_at__lt=before
    )
    return queryset_delete_in_batches(delivered, batch_size=batch_size)
