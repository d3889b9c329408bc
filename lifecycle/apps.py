from django.apps import AppConfig

from accounts.hooks import USER_DEACTIVATED
from core.retention import pruner_register


class LifecycleConfig(AppConfig):
    name = "lifecycle"
    verbose_name = "Lifecycle events"

    def ready(self) -> None:
        # The app's own modules import models: loadable only once the registry is ready.
        from lifecycle.account_hooks import lifecycle_on_user_deactivated
        from lifecycle.delivery import lifecycle_delivery_prune

        USER_DEACTIVATED.register(lifecycle_on_user_deactivated)
        pruner_register(
            name="lifecycle_deliveries",
            setting_name="KEYSERVICE_LIFECYCLE_RETENTION_DAYS",
            noun="lifecycle delivery(ies)",
            prune=lifecycle_delivery_prune,
        )
