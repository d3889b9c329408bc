from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        # Imported here: apikeys.emails imports models, loadable only once the apps are ready.
        from apikeys.emails import apikey_composers_register

        apikey_composers_register()
