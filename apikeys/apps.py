from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        # The app's own modules import models: loadable only once the registry is ready.
        from apikeys.verifysources import verify_sources_track

        verify_sources_track()  # every write of what verify reads bumps its stamps
