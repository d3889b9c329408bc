from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.http import HttpRequest

from teams.invitations import invitation_pending_for


def signup_allowed(email: str) -> bool:
    """Self-service sign-up policy: invited addresses always; others when sign-up is open
    and (if a domain list is set) the address is in one of those domains."""
    email = (email or "").strip().lower()
    if not email:
        return False
    if invitation_pending_for(email=email):
        return True
    if settings.KEYSERVICE_SIGNUP != "open":
        return False
    domains = settings.KEYSERVICE_SIGNUP_DOMAINS
    return not domains or email.rpartition("@")[2] in domains


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Email/password sign-up only where password sign-in is enabled.
        return settings.KEYSERVICE_PASSWORD_LOGIN

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email).lower()
        if not signup_allowed(email):
            raise forms.ValidationError("Sign-up is by invitation for this address.")
        return email


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return signup_allowed(sociallogin.user.email)

    def populate_user(self, request: HttpRequest, sociallogin, data: dict):
        user = super().populate_user(request, sociallogin, data)
        user.email = (user.email or "").lower()
        full_name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.name = data.get("name") or full_name
        return user
