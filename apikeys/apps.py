from django.apps import AppConfig

from accounts import hooks
from core.retention import pruner_register


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        # The app's own modules import models: loadable only once the registry is ready.
        from apikeys.account_hooks import (
            apikey_held_by,
            apikey_revoke_on_access_end,
            keyevent_identity_create,
        )
        from apikeys.emails import apikey_composers_register
        from apikeys.services import keyevent_prune
        from apikeys.usage_collect import usage_prune
        from apikeys.verifysources import verify_sources_track

        hooks.USER_HOLDINGS.register(apikey_held_by)
        hooks.ACCESS_END.register(apikey_revoke_on_access_end)
        hooks.IDENTITY_EVENT.register(keyevent_identity_create)
        apikey_composers_register()
        verify_sources_track()  # every write of what verify reads bumps its stamps
        pruner_register(
            name="key_events",
            setting_name="KEYSERVICE_AUDIT_RETENTION_DAYS",
            noun="key event(s)",
            prune=keyevent_prune,
        )
        pruner_register(
            name="key_usage",
            setting_name="KEYSERVICE_USAGE_RETENTION_DAYS",
            noun="key usage day(s) and batch id(s)",
            prune=usage_prune,
        )
