"""Reads for webhooks."""

from __future__ import annotations

from accounts.models import Project
from webhooks.models import WebhookAttempt, WebhookDelivery


def webhook_is_subscribed(*, project: Project, event: str) -> bool:
    """True when `project` has a webhook URL and subscribed to `event`."""
    events = project.webhook_events if isinstance(project.webhook_events, list) else []
    return bool(project.webhook_url) and event in events


def webhook_delivery_list(*, project: Project, limit: int = 50) -> list[WebhookDelivery]:
    """The project's most recent deliveries, newest first."""
    return list(WebhookDelivery.objects.filter(project=project)[:limit])


def webhook_attempt_list(*, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(delivery.attempt_log.order_by("number"))
