from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        # Imported here, not at module level: services import models, which need the app
        # registry ready.
        from apikeys.services import keyevent_prune
        from core.retention import pruner_register

        pruner_register(
            name="key_events",
            setting_name="KEYSERVICE_AUDIT_RETENTION_DAYS",
            noun="key event(s)",
            prune=keyevent_prune,
        )
