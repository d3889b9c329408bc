"""Reads for users."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter
from django.http import HttpRequest

from accounts.addresses import email_canonical_or_none
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
    # user.email is stored canonical (User.save): compared as it is, on every request.
    return _verified(user=user, canonical=user.email)


def user_address_is_verified(*, user: User, email: str) -> bool:
    """Whether the user proved `email`: a verified EmailAddress row for its canonical form
    (accounts.addresses; e.g. from Google's id_token), e.g. an invitation's address before it
    is accepted. A look-alike (`vıctim@…`, `…@gmaıl.com`) is another address; an address
    without a canonical form is proved by nobody."""
    canonical = email_canonical_or_none(email)
    return canonical is not None and _verified(user=user, canonical=canonical)


def _verified(*, user: User, canonical: str) -> bool:
    # bool(): allauth ships no type information, so the query is typed Any.
    return bool(EmailAddress.objects.filter(user=user, email=canonical, verified=True).exists())


def user_get_by_email(*, email: str) -> User | None:
    """The account known by the canonical form of `email` (accounts.addresses), if any."""
    canonical = email_canonical_or_none(email)
    return None if canonical is None else User.objects.filter(email=canonical).first()


def user_email_held_elsewhere(*, email: str, user_pk: int | None) -> bool:
    """Whether an account other than `user_pk` is known by `email` or has verified it, both in
    canonical form (the check of accounts.services.user_email_change, and of the admin forms
    before it). An address without a canonical form is held by nobody: the callers refuse it."""
    canonical = email_canonical_or_none(email)
    if canonical is None:
        return False
    others = User.objects.filter(email=canonical)
    verified = EmailAddress.objects.filter(email=canonical, verified=True)
    if user_pk is not None:
        others, verified = others.exclude(pk=user_pk), verified.exclude(user_id=user_pk)
    return others.exists() or verified.exists()


def google_signin_configured(*, request: HttpRequest) -> bool:
    """Whether this server offers sign-in with Google: a Google client in the settings
    (GOOGLE_CLIENT_ID) or one an operator added in the admin (allauth's SocialApp)."""
    return bool(get_adapter().list_apps(request, provider=GoogleProvider.id))
