"""Celery: the broker, how tasks are sent and acknowledged, their routes and the beat schedule.

Without REDIS_URL (the test suite) tasks run in-process. Publishing never waits long on a dead
broker (the sweeps re-send what was lost); webhook deliveries and public leak reports are
routed to queues of their own (their routers live in their apps).
"""

from datetime import timedelta

from keyservice.settings.env import REDIS_URL, env

# --- Celery --------------------------------------------------------------------------------
# Without Redis (the test suite), tasks run in-process; "localhost" spares kombu a warning.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# What a task prints (the console email backend in development) is logged at INFO, not WARNING.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # Must exceed the longest retry countdown, or Redis re-delivers a task still waiting.
    "visibility_timeout": 3600,
}
# A request must never hang on a dead broker: fail fast, the outbox sweep re-sends later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "outbox.tasks.outbox_sweep",
        "schedule": timedelta(seconds=env.int("KEYSERVICE_OUTBOX_SWEEP_SECONDS", default=60)),
    },
    "builds-hand-over-sweep": {
        "task": "builds.tasks.builds_hand_over_sweep",
        "schedule": timedelta(seconds=60),
    },
    "webhook-sweep": {
        "task": "webhooks.tasks.webhook_sweep",
        "schedule": timedelta(seconds=60),
    },
    "key-usage-collect": {
        "task": "apikeys.tasks.usage_collect_task",
        "schedule": timedelta(seconds=env.int("KEYSERVICE_USAGE_COLLECT_SECONDS", default=30)),
    },
    "lifecycle-sweep": {
        "task": "lifecycle.tasks.lifecycle_sweep",
        "schedule": timedelta(seconds=60),
    },
    # apikeys.expiry: reminders 7 days and 1 day before a key expires, its `expired` event.
    "key-expiry-scan": {
        "task": "apikeys.tasks.apikey_expiry_scan",
        "schedule": timedelta(seconds=env.int("KEYSERVICE_KEY_EXPIRY_SCAN_SECONDS", default=600)),
    },
    # A drain for public leak reports left waiting when a drain message was lost.
    "leak-reports-sweep": {
        "task": "apikeys.tasks.leak_reports_sweep_task",
        "schedule": timedelta(seconds=60),
    },
    # Daily: delete key events, outbox emails and webhook deliveries past their retention.
    "history-prune": {
        "task": "core.tasks.retention_prune",
        "schedule": timedelta(days=1),
    },
}
# Webhook deliveries and public leak reports take queues of their own (their apps' routers).
CELERY_TASK_ROUTES = ("webhooks.routing.webhook_route", "apikeys.leaks.routing.leak_reports_route")
