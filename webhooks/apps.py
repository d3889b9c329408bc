from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Imported here, not at module level: services import models, which need the app
        # registry ready.
        from core.retention import pruner_register
        from webhooks.services import webhookdelivery_prune

        pruner_register(
            name="webhook_deliveries",
            setting_name="KEYSERVICE_WEBHOOK_RETENTION_DAYS",
            noun="webhook delivery(ies)",
            prune=webhookdelivery_prune,
        )
