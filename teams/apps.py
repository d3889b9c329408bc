from django.apps import AppConfig

from accounts import hooks
from core.retention import pruner_register


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self) -> None:
        # The app's own modules import models: loadable only once the registry is ready.
        from teams.account_hooks import membership_held_by
        from teams.emails import invitation_composer_register
        from teams.invitations import invitation_pending_for
        from teams.services import formermembership_prune, membership_on_user_deleted

        hooks.ADDRESS_INVITED.register(invitation_pending_for)
        hooks.USER_HOLDINGS.register(membership_held_by)
        hooks.USER_DEACTIVATED.register(membership_on_user_deleted)
        invitation_composer_register()
        pruner_register(
            name="former_memberships",
            setting_name="KEYSERVICE_AUDIT_RETENTION_DAYS",
            noun="former membership(s)",
            prune=formermembership_prune,
        )
