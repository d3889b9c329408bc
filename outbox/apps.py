from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Email outbox"

    def ready(self) -> None:
        # Imported here, not at module level: services import models, which need the app
        # registry ready.
        from core.retention import pruner_register
        from outbox.services import outbox_prune

        pruner_register(
            name="outbox_emails",
            setting_name="KEYSERVICE_OUTBOX_RETENTION_DAYS",
            noun="outbox email(s)",
            prune=outbox_prune,
        )
