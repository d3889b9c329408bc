"""Why the webhook services refuse (core.errors.ApplicationError.reason), shared by
webhooks.services (sending) and webhooks.configure (the project's settings)."""

from __future__ import annotations

from enum import StrEnum


class WebhookRefusal(StrEnum):
    """Why a webhook service refused (core.errors.ApplicationError.reason)."""

    NOT_CONFIGURED = "not_configured"  # the project has no webhook URL
    # The project's budget of test webhooks (REST_FRAMEWORK rate "test_webhook") is spent.
    TEST_THROTTLED = "test_throttled"
    # Test sends already hold as many web workers as allowed (this project's one, or
    # KEYSERVICE_WEBHOOK_TEST_CONCURRENCY in all).
    TEST_BUSY = "test_busy"
    INVALID_SETTINGS = "invalid_settings"  # `fields` names webhookUrl / webhookEvents
