from django.apps import AppConfig

from accounts import hooks


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self) -> None:
        # The app's own modules import models: loadable only once the registry is ready.
        from teams.account_hooks import membership_held_by
        from teams.emails import invitation_composer_register
        from teams.invitations import invitation_pending_for

        hooks.ADDRESS_INVITED.register(invitation_pending_for)
        hooks.USER_HOLDINGS.register(membership_held_by)
        invitation_composer_register()
