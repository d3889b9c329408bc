"""Signed webhook deliveries for project events, sent by Celery with retries and an SSRF guard."""

from webhooks.events import WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT

__all__ = ["WEBHOOK_EVENTS", "WEBHOOK_TEST_EVENT"]
