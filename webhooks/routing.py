"""Celery routing (settings.CELERY_TASK_ROUTES): webhook deliveries, and the lifecycle
events for internal subscribers (lifecycle.tasks), both sent through core.outbound, get their
own queue.

A delivery can take a whole KEYSERVICE_WEBHOOK_TIMEOUT per attempt; on its own queue, served
by its own worker, it never waits in line before (or holds up) a key email.
"""

from __future__ import annotations

from django.conf import settings

WEBHOOK_TASKS = frozenset({"webhooks.tasks.webhook_send", "lifecycle.tasks.lifecycle_send"})


def webhook_route(name: str, args, kwargs, options, task=None, **kw) -> dict | None:
    """Celery router: {"queue": KEYSERVICE_WEBHOOKS_QUEUE} for a delivery, else no opinion."""
    if name in WEBHOOK_TASKS:
        return {"queue": settings.KEYSERVICE_WEBHOOKS_QUEUE}
    return None
