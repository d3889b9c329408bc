from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self) -> None:
        # Imported here: teams.emails imports models, loadable only once the apps are ready.
        from teams.emails import invitation_composer_register

        invitation_composer_register()
