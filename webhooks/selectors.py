"""Reads for webhooks."""

from __future__ import annotations

from datetime import datetime

from projects.models import Project
from webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


def webhook_get(*, project: Project) -> Webhook | None:
    """The project's webhook settings, None when it never needed any (no URL, no events).
    Read through `project.webhook`: no query when the caller's select_related("webhook")
    fetched it, and the instance webhooks.configure.webhook_get_or_create returns."""
    try:
        return project.webhook
    except Webhook.DoesNotExist:
        return None


def webhook_signing_secrets(*, webhook: Webhook, now: datetime) -> list[str]:
    """The secrets an attempt at `now` is signed with: the current one, then the previous one
    while its overlap after a rotation lasts (until `previous_secret_until`, excluded)."""
    overlapping = (
        webhook.previous_secret
        and webhook.previous_secret_until is not None
        and now < webhook.previous_secret_until
    )
    return [webhook.secret, webhook.previous_secret] if overlapping else [webhook.secret]


def webhook_map_for(*, projects: list[Project]) -> dict[int, Webhook]:
    """The webhook settings of these projects that have any (one query), by project pk."""
    return {hook.project_id: hook for hook in Webhook.objects.filter(project__in=projects)}


def webhook_is_subscribed(*, project: Project, event: str) -> bool:
    """True when `project` has a webhook URL and subscribed to `event`."""
    hook = webhook_get(project=project)
    if hook is None:
        return False
    events = hook.events if isinstance(hook.events, list) else []
    return bool(hook.url) and event in events


def webhook_delivery_list(*, project: Project, limit: int = 50) -> list[WebhookDelivery]:
    """The project's most recent deliveries, newest first."""
    return list(WebhookDelivery.objects.filter(project=project)[:limit])


def webhook_attempt_list(*, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(delivery.attempt_log.order_by("number"))
