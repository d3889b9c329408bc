from django.apps import AppConfig


class WiringConfig(AppConfig):
    """The wiring as an app, last in INSTALLED_APPS: at start-up it fills every registry of
    the apps from keyservice.wiring's tables (the apps' own ready() register nothing there)."""

    name = "keyservice"
    verbose_name = "Wiring"

    def ready(self) -> None:
        # The tables name the apps' functions, whose modules import models: loadable only now.
        from keyservice.wiring import wiring_install

        wiring_install()
