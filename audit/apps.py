from django.apps import AppConfig

from core.retention import pruner_register


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # The app's own modules import models: loadable only once the registry is ready.
        from audit.services import auditevent_prune

        pruner_register(
            name="audit_events",
            setting_name="KEYSERVICE_AUDIT_RETENTION_DAYS",
            noun="team event(s)",
            prune=auditevent_prune,
        )
