"""Google sign-in with configurable endpoints (KEYSERVICE_GOOGLE_* settings).

allauth's Google provider reads its endpoint URLs into module constants at import time; this
subclass reads them from settings on every request, so the tests can point sign-in at a fake
Google server (tests/e2e/fake_google.py) while the whole of allauth's OAuth2 code path runs:
state, PKCE, the code exchange and the id_token validation (issuer, audience = our client id,
expiry, and the RS256 signature against the certs URL unless the token came straight from
an https token endpoint, as OpenID Connect Core 3.1.3.7 allows).

Registered with SOCIALACCOUNT_PROVIDERS["google"]["provider_class"]; its URLs (same names and
paths as allauth's: google_login, google_callback, google_login_by_token) are in
`accounts.google.urls`, which allauth includes through `GoogleProvider.package`.
"""

from __future__ import annotations

import jwt
import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.providers.google import provider as google_provider
from allauth.socialaccount.providers.google import views as google_views
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings

from accounts.addresses import email_canonical_or_none

# The only algorithm Google signs id_tokens with; a token claiming another one is refused
# before any key is looked up (no "none", no HS256-with-the-public-key confusion).
GOOGLE_SIGNING_ALGORITHM = "RS256"


def decode_id_token(app, credential: str, *, verify_signature: bool = True) -> dict:
    """Validate a Google id_token with allauth's own checks, against the configured issuer
    and certs URL: issuer, audience (our client id), expiry, replay (jti), signature."""
    if verify_signature:
        try:
            algorithm = jwt.get_unverified_header(credential).get("alg")
        except jwt.PyJWTError as exc:
            raise OAuth2Error("Invalid id_token") from exc
        if algorithm != GOOGLE_SIGNING_ALGORITHM:
            raise OAuth2Error(f"Invalid id_token algorithm: {algorithm!r}")
    return jwtkit.verify_and_decode(
        credential=credential,
        keys_url=settings.KEYSERVICE_GOOGLE_CERTS_URL,
        issuer=settings.KEYSERVICE_GOOGLE_ISSUER,
        audience=app.client_id,
        lookup_kid=jwtkit.lookup_kid_pem_x509_certificate,
        verify_signature=verify_signature,
    )


class GoogleOAuth2Adapter(google_views.GoogleOAuth2Adapter):
    @property
    def authorize_url(self) -> str:
        return settings.KEYSERVICE_GOOGLE_AUTHORIZE_URL

    @property
    def access_token_url(self) -> str:
        return settings.KEYSERVICE_GOOGLE_TOKEN_URL

    @property
    def identity_url(self) -> str:
        return settings.KEYSERVICE_GOOGLE_USERINFO_URL

    @property
    def id_token_issuer(self) -> str:
        return settings.KEYSERVICE_GOOGLE_ISSUER

    def _decode_id_token(self, app, id_token):
        # The signature may be skipped only for a token we fetched ourselves over TLS.
        over_tls = self.access_token_url.startswith("https://")
        verify_signature = not (self.did_fetch_access_token and over_tls)
        return decode_id_token(app, id_token, verify_signature=verify_signature)


class GoogleProvider(google_provider.GoogleProvider):
    oauth2_adapter_class = GoogleOAuth2Adapter
    package = "accounts.google"  # allauth includes `accounts.google.urls`

    # The address Google vouches for becomes its canonical form (accounts.addresses) here,
    # before allauth sees it: allauth lowercases with str.lower(), which would turn a Kelvin
    # sign K into the ASCII k. An address without a canonical form is dropped, so the
    # sign-in has no verified address and accounts.adapters refuses it.

    def extract_common_fields(self, data):
        fields = super().extract_common_fields(data)
        fields["email"] = email_canonical_or_none(fields.get("email"))
        return fields

    def extract_email_addresses(self, data):
        addresses = []
        for address in super().extract_email_addresses(data):
            address.email = email_canonical_or_none(address.email)
            if address.email is not None:
                addresses.append(address)
        return addresses

    def verify_token(self, request, token):
        """Sign-in with a Google-issued id_token posted by the browser (One Tap): the
        signature is always checked."""
        credential = token.get("id_token")
        if not credential:
            raise get_adapter().validation_error("invalid_token")
        try:
            identity = decode_id_token(self.app, credential)
        except (OAuth2Error, requests.RequestException) as exc:
            raise get_adapter().validation_error("invalid_token") from exc
        return self.sociallogin_from_response(request, identity)
