"""Password sign-in (KEYSERVICE_PASSWORD_LOGIN): the address typed is read in its canonical
form (accounts.addresses) before allauth uses it, to authenticate and to check that the
address signing in is verified. `Victim@gmaıl.com` signs in as `victim@xn--gmal-nza.com`;
a look-alike is another address, and one without a canonical form matches nobody."""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm

from accounts.addresses import email_canonical_or_none


class LoginForm(AllauthLoginForm):
    def clean_login(self) -> str:
        login = super().clean_login()
        return email_canonical_or_none(login) or login
