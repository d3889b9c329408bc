from typing import cast

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import render

from accounts.access import user_password_set
from accounts.addresses import (
    UnusableEmailAddress,
    email_canonical,
    email_canonical_or_none,
    email_domain,
    email_domain_canonical,
)
from accounts.hooks import address_invited
from accounts.models import User
from accounts.selectors import user_get_by_email
from accounts.services import user_identity_merge, user_unproven_remove
from core.clientip import client_identity

SIGNUP_SENT_MESSAGE = "account/messages/email_confirmation_sent.txt"
SIGNUP_IN_PROGRESS = "_keyservice_signup_in_progress"


def signup_allowed(email: str) -> bool:
    """Self-service sign-up policy: invited addresses always; others when sign-up is open
    and (if a domain list is set) the address is in one of those domains. Addresses and
    domains are compared exactly in their canonical form (accounts.addresses): a look-alike
    of an invited address is not invited, `gmaıl.com` is not `gmail.com`. An address without
    a canonical form may not sign up. Whether an address is invited is asked of the apps
    (accounts.hooks.ADDRESS_INVITED: teams; docs/architecture.md, "The wiring")."""
    canonical = email_canonical_or_none(email)
    if canonical is None:
        return False
    if address_invited(email=canonical):
        return True
    if settings.KEYSERVICE_SIGNUP != "open":
        return False
    domains = settings.KEYSERVICE_SIGNUP_DOMAINS
    return not domains or email_domain(canonical) in {email_domain_canonical(d) for d in domains}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Email/password sign-up only where password sign-in is enabled. Who may sign up is
        # decided after the form, with one answer for every address (accounts.signup_form).
        return settings.KEYSERVICE_PASSWORD_LOGIN

    def clean_email(self, email: str) -> str:
        """Every address allauth takes in (its forms, a provider's addresses) becomes its
        canonical form (accounts.addresses) before allauth looks it up or stores it; one
        without a canonical form is invalid."""
        try:
            return email_canonical(super().clean_email(email))
        except UnusableEmailAddress as exc:
            raise ValidationError(str(exc), code="email_unusable") from None

    def get_client_ip(self, request: HttpRequest) -> str:
        """The client as every per-client limit counts it (core.clientip.client_identity: an
        IPv6 address as its /64), so sign-in's rate limits (allauth keys its per-IP limits on
        this) count clients exactly as the API's do. allauth's own /64 truncation then leaves
        the value alone (a network, not an address). No address: allauth's refusal."""
        identity = client_identity(request.META)
        if not identity:
            raise PermissionDenied("Unable to determine client IP address")
        return identity

    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        """allauth's password change, set and reset pages: through user_password_set (audited;
        every other session of the account ends, the page's own stays signed in)."""
        holder = cast(User, user)  # AUTH_USER_MODEL
        user_password_set(
            user=holder,
            password=password,
            actor=holder,
            reason="by its holder (password change or reset)",
            request=self.request,
        )

    def add_message(self, request: HttpRequest, level: int, message_template=None, *a, **kw):
        # During a sign-up, accounts.signup_form adds "Confirmation email sent" exactly once,
        # whether or not an email went out (allauth skips it when rate limited, which would
        # tell a repeated sign-up apart).
        if message_template == SIGNUP_SENT_MESSAGE and getattr(request, SIGNUP_IN_PROGRESS, 0):
            return
        super().add_message(request, level, message_template, *a, **kw)


def verified_provider_email(sociallogin: SocialLogin) -> str | None:
    """The address the provider vouches for (Google: id_token `email_verified`), in canonical
    form, when it is the address the sign-in would create or use; otherwise None."""
    email = email_canonical_or_none(sociallogin.user.email if sociallogin.user else None)
    if email is None:
        return None
    for address in sociallogin.email_addresses:
        if address.verified and email_canonical_or_none(address.email) == email:
            return email
    return None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return signup_allowed(sociallogin.user.email)

    def populate_user(self, request: HttpRequest, sociallogin, data: dict):
        user = super().populate_user(request, sociallogin, data)
        # Canonical already (the provider's address went through AccountAdapter.clean_email);
        # an address without a canonical form leaves none, and the sign-in is refused.
        user.email = email_canonical_or_none(user.email) or ""
        full_name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.name = data.get("name") or full_name
        return user

    def authenticate_by_email(self, sociallogin: SocialLogin) -> tuple[User, str] | None:
        """Email authentication matches only a VERIFIED local address (allauth's default
        falls back to unverified rows and to User.email, which is how a squatter's
        pre-registered account captured the real owner), and only the same address: both
        in canonical form, compared exactly (accounts.addresses), so an attacker's verified
        look-alike (`vıctim@gmail.com`, `victim@gmaıl.com`) never captures the real owner's
        Google sign-in."""
        for address in sociallogin.email_addresses:
            canonical = email_canonical_or_none(address.email)
            if (
                canonical is None
                or not address.verified
                or not self.can_authenticate_by_email(sociallogin, canonical)
            ):
                continue
            local = (
                EmailAddress.objects.filter(email=canonical, verified=True)
                .select_related("user")
                .first()
            )
            if local is not None:
                return local.user, canonical
        return None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Runs after allauth looked the identity up, before anyone is signed in or created.

        - An address the provider does not vouch for is refused outright: no user, no session.
        - A new identity joining an existing account (email authentication or connecting)
          first makes the account safe for its rightful owner (user_identity_merge).
        - A new identity whose proven address is held by an unverified account that holds
          nothing removes that account (user_unproven_remove), so the owner gets a fresh one.
        """
        email = verified_provider_email(sociallogin)
        provider, uid = sociallogin.account.provider, sociallogin.account.uid
        if email is None:
            claimed = (sociallogin.account.extra_data or {}).get("email")
            unusable = isinstance(claimed, str) and email_canonical_or_none(claimed) is None
            context = {"provider": provider, "unusable": unusable}
            raise ImmediateHttpResponse(
                render(request, "accounts/signin_refused.html", context, status=403)
            )
        if sociallogin.account.pk is not None:
            return  # a known identity signing in again
        target = None
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            target = request.user if request.user.is_authenticated else None
        elif sociallogin.is_existing:
            target = sociallogin.user
        if target is not None:
            user_identity_merge(user=target, provider=provider, uid=uid, request=request)
            return
        holder = user_get_by_email(email=email)
        if holder is not None:
            user_unproven_remove(user=holder, proven_by=f"{provider} identity {uid}")
