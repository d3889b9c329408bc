from django.apps import AppConfig

from core.retention import pruner_register


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # The app's own services import models: loadable only once the registry is ready.
        from webhooks.services import webhook_delivery_prune

        pruner_register(
            name="webhook_deliveries",
            setting_name="KEYSERVICE_WEBHOOK_RETENTION_DAYS",
            noun="webhook delivery(ies)",
            prune=webhook_delivery_prune,
        )
