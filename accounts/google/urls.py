"""allauth's Google URLs (same names and paths), served by our configurable adapter."""

from allauth.socialaccount.providers.google.views import login_by_token
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.urls import include, path

from accounts.google import GoogleOAuth2Adapter, GoogleProvider

urlpatterns = [
    path(
        f"{GoogleProvider.get_slug()}/",
        include(
            [
                path(
                    "login/",
                    OAuth2LoginView.adapter_view(GoogleOAuth2Adapter),
                    name="google_login",
                ),
                path(
                    "login/callback/",
                    OAuth2CallbackView.adapter_view(GoogleOAuth2Adapter),
                    name="google_callback",
                ),
                path("login/token/", login_by_token, name="google_login_by_token"),
            ]
        ),
    )
]
