"""Reads for users."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter
from django.http import HttpRequest

from accounts.google import GoogleProvider
from accounts.models import User


def user_email_is_verified(*, user: User) -> bool:
    """Whether the user proved the address they are known by (user.email): a verified
    EmailAddress row for it (Google's `email_verified`, allauth's confirmation link, or an
    operator: the directory import, the admin, createsuperuser).

    The one predicate for "may this account do anything": sessions of users for whom it is
    false are anonymous (accounts.backends), so they reach no dashboard page and request no key.
    """
    if user.pk is None or not user.email:
        return False
    return user_address_is_verified(user=user, email=user.email)


def user_address_is_verified(*, user: User, email: str) -> bool:
    """Whether the user proved `email`: a verified EmailAddress row for it (e.g. from Google's
    id_token), e.g. an invitation's address before it is accepted."""
    # bool(): allauth ships no type information, so the query is typed Any.
    return bool(EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists())


def user_get_by_email(*, email: str) -> User | None:
    """The account known by `email` (case-insensitive), if any."""
    return User.objects.filter(email__iexact=email).first()


def user_email_held_elsewhere(*, email: str, user_pk: int | None) -> bool:
    """Whether an account other than `user_pk` is known by `email` or has verified it (the
    check of accounts.services.user_email_change, and of the admin form before it)."""
    others = User.objects.filter(email__iexact=email)
    verified = EmailAddress.objects.filter(email__iexact=email, verified=True)
    if user_pk is not None:
        others, verified = others.exclude(pk=user_pk), verified.exclude(user_id=user_pk)
    return others.exists() or verified.exists()


def google_signin_configured(*, request: HttpRequest) -> bool:
    """Whether this server offers sign-in with Google: a Google client in the settings
    (GOOGLE_CLIENT_ID) or one an operator added in the admin (allauth's SocialApp)."""
    return bool(get_adapter().list_apps(request, provider=GoogleProvider.id))
