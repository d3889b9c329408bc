from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # "Accounts" is allauth's section (email addresses) in the admin: one name per section.
    verbose_name = "Users"
