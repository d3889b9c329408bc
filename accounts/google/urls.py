"""allauth's Google URLs (same names and paths), served by our configurable adapter. With no
Google client configured, each answers a page saying so (404), never allauth's error (500)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from allauth.socialaccount.providers.google.views import login_by_token
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

from accounts.google import GoogleOAuth2Adapter, GoogleProvider
from accounts.selectors import google_signin_configured

View = Callable[..., HttpResponse]


def _when_configured(view: View) -> View:
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not google_signin_configured(request=request):
            return render(request, "accounts/google_not_configured.html", status=404)
        return view(request, *args, **kwargs)

    return guarded


urlpatterns = [
    path(
        f"{GoogleProvider.get_slug()}/",
        include(
            [
                path(
                    "login/",
                    _when_configured(OAuth2LoginView.adapter_view(GoogleOAuth2Adapter)),
                    name="google_login",
                ),
                path(
                    "login/callback/",
                    _when_configured(OAuth2CallbackView.adapter_view(GoogleOAuth2Adapter)),
                    name="google_callback",
                ),
                path(
                    "login/token/",
                    _when_configured(login_by_token),
                    name="google_login_by_token",
                ),
            ]
        ),
    )
]
