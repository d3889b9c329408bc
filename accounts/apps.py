from django.apps import AppConfig

from accounts import hooks


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and projects"

    def ready(self) -> None:
        # Imported once the app registry is ready: the selectors import models.
        from accounts.selectors import user_owns_project

        hooks.USER_HOLDINGS.register(user_owns_project)
