from django.apps import AppConfig

from core.retention import pruner_register
from lifecycle.senders import sender_register


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # The app's own services import models: loadable only once the registry is ready.
        from webhooks.lifecycle_sender import lifecycle_send, lifecycle_url_check
        from webhooks.services import webhook_delivery_prune

        sender_register(send=lifecycle_send, check=lifecycle_url_check)

        pruner_register(
            name="webhook_deliveries",
            setting_name="KEYSERVICE_WEBHOOK_RETENTION_DAYS",
            noun="webhook delivery(ies)",
            prune=webhook_delivery_prune,
        )
