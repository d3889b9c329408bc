from django.apps import AppConfig

from accounts import hooks


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self) -> None:
        # Imported once the app registry is ready: these functions' modules import models.
        from teams.account_hooks import membership_held_by
        from teams.invitations import invitation_pending_for

        hooks.ADDRESS_INVITED.register(invitation_pending_for)
        hooks.USER_HOLDINGS.register(membership_held_by)

        # Imported here: teams.emails imports models, loadable only once the apps are ready.
        from teams.emails import invitation_composer_register

        invitation_composer_register()
