"""Typing for views that only signed-in users reach."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind `@login_required` receives: its user is a `User`, never
    `AnonymousUser` (django-stubs' documented idiom). For annotations only: Django never
    builds one, so nothing may check `isinstance` against it."""

    user: User
