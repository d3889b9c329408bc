from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "password_login": settings.KEYSERVICE_PASSWORD_LOGIN,
        "google_login": bool(settings.SOCIALACCOUNT_PROVIDERS.get("google", {}).get("APPS")),
    }
