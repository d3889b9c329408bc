from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.selectors import google_signin_configured


def site(request: HttpRequest) -> dict:
    return {
        "password_login": settings.KEYSERVICE_PASSWORD_LOGIN,
        # Settings or an operator's SocialApp; asked only by a page that shows sign-in.
        "google_login": SimpleLazyObject(lambda: google_signin_configured(request=request)),
    }
