from django.apps import AppConfig

from accounts import hooks


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        # Imported once the app registry is ready: these functions' modules import models.
        from apikeys.account_hooks import (
            apikey_held_by,
            apikey_revoke_on_access_end,
            keyevent_identity_create,
        )

        hooks.USER_HOLDINGS.register(apikey_held_by)
        hooks.ACCESS_END.register(apikey_revoke_on_access_end)
        hooks.IDENTITY_EVENT.register(keyevent_identity_create)

        from apikeys.services import keyevent_prune
        from core.retention import pruner_register

        pruner_register(
            name="key_events",
            setting_name="KEYSERVICE_AUDIT_RETENTION_DAYS",
            noun="key event(s)",
            prune=keyevent_prune,
        )

        # Imported here: apikeys.emails imports models, loadable only once the apps are ready.
        from apikeys.emails import apikey_composers_register

        apikey_composers_register()
