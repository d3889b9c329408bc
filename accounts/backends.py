"""Authentication backend: allauth's, plus the rule that only proven accounts have sessions."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend

from accounts.addresses import email_canonical_or_none
from accounts.models import User
from accounts.selectors import user_email_is_verified


class VerifiedAccountBackend(AuthenticationBackend):
    """allauth's email/password backend, whose sessions belong only to accounts whose address
    is verified (accounts.selectors.user_email_is_verified).

    Checked on every request (`get_user` loads request.user from the session), so however a
    session came to exist, an account that never proved its address is anonymous everywhere:
    no dashboard page, no key request, no admin, no invitation acceptance.
    """

    def _authenticate_by_email(self, email: str, password: str):
        # The typed address in its canonical form (accounts.addresses), so `…@gmaıl.com`
        # signs in as `…@xn--gmal-nza.com`; allauth then looks it up exactly. An address
        # without a canonical form matches nobody (allauth still hashes the password once).
        canonical = email_canonical_or_none(email)
        if canonical is None:
            return None
        return super()._authenticate_by_email(canonical, password)

    def get_user(self, user_id) -> User | None:
        user = super().get_user(user_id)
        if user is None or not user_email_is_verified(user=user):
            return None
        return user
