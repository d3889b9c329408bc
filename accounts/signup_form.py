"""Password sign-up (KEYSERVICE_PASSWORD_LOGIN): one answer for every address.

Whatever the address — new, already an account, invited or not, outside the allowed domains —
a well-formed sign-up gets the same "check your email" redirect and message. Only the email
differs, and only the owner of the address reads it: a confirmation link (new, allowed address),
allauth's "you already have an account" (existing), or "sign-up is by invitation" (not allowed).
Emails are rate limited per address by allauth's `confirm_email` limit. Every branch also does
the same password-hashing work (one hash of the submitted password), so the answer takes as
long whether or not an account is created: timing tells the branches apart no more than the
page does.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.internal.flows.email_verification import (
    add_email_verification_sent_message,
    handle_verification_email_rate_limit,
)
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.urls import reverse

from accounts.adapters import SIGNUP_IN_PROGRESS, signup_allowed


class SignupForm(AllauthSignupForm):
    def try_save(self, request: HttpRequest):
        email = self.cleaned_data.get("email") or ""
        # For the rest of this request allauth's own "confirmation sent" message is dropped
        # (it is skipped when rate limited); this one is the only one, in every case.
        add_email_verification_sent_message(request, email, signup=True)
        setattr(request, SIGNUP_IN_PROGRESS, 1)
        return self._try_save(request, email)

    def _try_save(self, request: HttpRequest, email: str):
        allowed = signup_allowed(email)
        if allowed and not self.account_already_exists:
            return super().try_save(request)  # hashes the password once (save_user)
        # Nothing is created: hash the password all the same, once, so every branch does
        # the same work and takes as long as the one that creates an account.
        make_password(self.cleaned_data.get("password1") or "")
        if allowed:
            return super().try_save(request)  # allauth's "you already have an account"
        if handle_verification_email_rate_limit(request, email):
            get_adapter().send_mail(
                "account/email/signup_by_invitation",
                email,
                {"login_url": request.build_absolute_uri(reverse("account_login"))},
            )
        return None, get_adapter().respond_email_verification_sent(request, None)
