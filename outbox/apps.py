from django.apps import AppConfig

from core.metrics import gauge_register
from core.retention import pruner_register


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Email outbox"

    def ready(self) -> None:
        # The app's own services import models: loadable only once the registry is ready.
        from outbox.selectors import outbox_backlog_counts
        from outbox.services import outbox_prune

        pruner_register(
            name="outbox_emails",
            setting_name="KEYSERVICE_OUTBOX_RETENTION_DAYS",
            noun="outbox email(s)",
            prune=outbox_prune,
        )
        gauge_register(
            name="keyservice_outbox_emails",
            documentation="Outbox emails waiting to be sent (pending) or given up (failed).",
            label="state",
            values=outbox_backlog_counts,
        )
