"""Google sign-in through allauth's real OAuth2 code path, against the fake Google server.

Django's test client plays the browser; `requests` carries it to the fake authorization
endpoint and back; allauth itself exchanges the code (with the PKCE verifier) and validates
the id_token (issuer, audience, expiry and, the token endpoint being plain HTTP here, the
RS256 signature against the certs URL).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import SESSION_KEY

from accounts.models import User
from tests.e2e.fake_google import AUTHORIZE_PATH

pytestmark = pytest.mark.django_db
CALLBACK = "/accounts/google/login/callback/"


def start(client, google, **data) -> str:
    """POST allauth's Google login; returns the fake Google authorization URL."""
    response = client.post("/accounts/google/login/", data)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(google.url + AUTHORIZE_PATH)
    return location


def approve(authorization_url: str) -> str:
    """The browser at Google: returns the callback path + query Google redirects back to."""
    response = requests.get(authorization_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    target = urlsplit(response.headers["Location"])
    assert target.path == CALLBACK
    return f"{target.path}?{target.query}"


def sign_in_with_google(client, google, **data):
    return client.get(approve(start(client, google, **data)))


def signed_in_user(client) -> User | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def assert_refused(response, google) -> None:
    assert response.status_code == 401
    assert "socialaccount/authentication_error.html" in [t.name for t in response.templates]
    assert SESSION_KEY not in response.client.session


# --- Sign-in -------------------------------------------------------------------------------


def test_a_new_user_signs_in_with_google_and_gets_a_verified_address(client, google):
    identity = google.login_as("Ada.Lovelace@Example.com", "Ada Lovelace")

    response = sign_in_with_google(client, google)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = signed_in_user(client)
    assert user is not None
    assert user.email == "ada.lovelace@example.com"
    assert user.name == "Ada Lovelace"
    [address] = EmailAddress.objects.filter(user=user)
    assert address.email.lower() == "ada.lovelace@example.com"
    assert address.verified and address.primary
    assert SocialAccount.objects.get(user=user, provider="google").uid == identity.sub
    home = client.get("/")
    assert home.status_code == 200
    assert user.public_id in home.content.decode()


def test_the_real_oauth2_protocol_runs_state_pkce_and_code_exchange(client, google):
    google.login_as("grace@example.com", "Grace Hopper")

    sign_in_with_google(client, google)

    [authorization] = google.authorize_requests
    assert authorization["client_id"] == google.client_id
    assert authorization["redirect_uri"] == "http://testserver" + CALLBACK
    assert set(authorization["scope"].split()) == {"openid", "profile", "email"}
    assert authorization["prompt"] == "select_account"
    assert authorization["code_challenge_method"] == "S256"
    assert len(authorization["state"]) >= 12
    [exchange] = google.token_requests
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["client_secret"] == google.client_secret
    assert exchange["code_verifier"]  # the fake checked it against the challenge
    assert signed_in_user(client).email == "grace@example.com"


def test_signing_in_again_finds_the_same_user(client, google):
    google.login_as("ada@example.com", "Ada Lovelace")
    sign_in_with_google(client, google)
    first = signed_in_user(client)
    client.post("/accounts/logout/")
    assert signed_in_user(client) is None

    sign_in_with_google(client, google)

    assert signed_in_user(client) == first
    assert User.objects.count() == 1
    assert signed_in_user(client).public_id == first.public_id


def test_sign_in_returns_to_next(client, google):
    google.login_as("ada@example.com")
    response = sign_in_with_google(client, google, next="/keys/request/")
    assert response.status_code == 302
    assert response["Location"] == "/keys/request/"


def test_a_verified_google_address_signs_in_to_the_existing_account(client, google, owner):
    google.login_as("owner@example.com", "Olivia Owner")

    sign_in_with_google(client, google)

    assert signed_in_user(client) == owner
    assert SocialAccount.objects.filter(user=owner, provider="google").exists()
    assert User.objects.count() == 1
    # Joining an existing account makes its password unusable: whoever set it may be a
    # squatter or an operator; the owner sets one through password reset
    # (accounts/tests/test_merge_ends_password.py).
    owner.refresh_from_db()
    assert not owner.has_usable_password()


# --- What is not trusted -------------------------------------------------------------------


def test_an_unverified_google_address_never_signs_in_to_an_existing_account(client, google, owner):
    google.login_as("owner@example.com", "Mallory", email_verified=False)

    response = sign_in_with_google(client, google)

    assert signed_in_user(client) is None
    owner.refresh_from_db()
    assert owner.check_password("pw-owner-123")  # nor locks the owner out
    assert not SocialAccount.objects.filter(user=owner).exists()
    # A clear refusal: an address Google does not vouch for signs nobody in.
    assert response.status_code == 403
    assert "address not verified" in response.content.decode()


def test_an_unverified_google_address_creates_no_account(client, google):
    google.login_as("new@example.com", "New Person", email_verified=False)

    response = sign_in_with_google(client, google)

    assert response.status_code == 403
    assert not User.objects.filter(email="new@example.com").exists()
    assert not SocialAccount.objects.exists()
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("email_verified", [True, False], ids=["verified", "unverified"])
def test_only_a_google_verified_address_accepts_an_invitation_to_it(
    client, google, owner, showroom, email_verified
):
    from teams import emails, invitations
    from teams.models import Membership

    invitation = invitations.invitation_create(
        owner=owner, email="new@example.com", role="FULL", projects=[showroom], base_url="/"
    )
    link = urlsplit(emails.invitation_link(invitation=invitation)).path
    google.login_as("New@Example.com", "New Person", email_verified=email_verified)

    signed_in = sign_in_with_google(client, google, next=link)
    response = client.post(link)

    if email_verified:
        assert signed_in["Location"] == link
        assert response.status_code == 302
        assert Membership.objects.get(owner=owner).member == signed_in_user(client)
    else:
        assert signed_in.status_code == 403  # refused at sign-in already
        assert signed_in_user(client) is None
        assert not Membership.objects.exists()


def test_a_wrong_state_is_refused(client, google):
    google.login_as("ada@example.com")
    callback = approve(start(client, google))
    path, query = callback.split("?", 1)
    params = {k: v[0] for k, v in parse_qs(query).items()}

    response = client.get(path, {**params, "state": "not-the-state-we-sent"})

    assert_refused(response, google)
    assert google.token_requests == []  # the code was never even exchanged
    assert not User.objects.exists()


def test_a_callback_replayed_or_carried_to_another_browser_is_refused(client, google):
    from django.test import Client

    google.login_as("ada@example.com")
    callback = approve(start(client, google))

    assert_refused(Client().get(callback), google)  # login CSRF: not the session that started
    assert client.get(callback).status_code == 302  # the right browser: signed in
    client.post("/accounts/logout/")
    assert_refused(client.get(callback), google)  # the state was used up
    assert User.objects.count() == 1


def test_a_sign_in_cancelled_at_google_signs_nobody_in(client, google):
    google.login_as("ada@example.com")
    callback = approve(start(client, google))
    state = parse_qs(urlsplit(callback).query)["state"][0]

    response = client.get(CALLBACK, {"state": state, "error": "access_denied"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/3rdparty/login/cancelled/"
    assert SESSION_KEY not in client.session
    assert google.token_requests == []
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
            id="signed-by-another-key",
        ),
        pytest.param({"kid": "unknown-kid"}, id="unknown-key-id"),
        pytest.param({"aud": "another-client.apps.googleusercontent.com"}, id="other-audience"),
        pytest.param({"iss": "https://evil.example"}, id="other-issuer"),
        pytest.param({"exp": 1_000_000_000}, id="expired"),
    ],
)
def test_an_invalid_id_token_from_the_token_endpoint_is_refused(client, google, tamper):
    google.login_as("ada@example.com")
    google.tamper = tamper

    response = sign_in_with_google(client, google)

    assert_refused(response, google)
    assert len(google.token_requests) == 1
    assert not User.objects.exists()


# --- Sign-in with a Google-issued id_token (One Tap), always signature-checked ----------------


def post_credential(client, credential: str):
    client.cookies["g_csrf_token"] = "double-submit"
    return client.post(
        "/accounts/google/login/token/",
        {"credential": credential, "g_csrf_token": "double-submit"},
    )


def test_a_google_signed_id_token_signs_in(client, google):
    identity = google.login_as("ada@example.com", "Ada Lovelace")
    response = post_credential(client, google.id_token(identity))
    assert response.status_code == 302
    assert signed_in_user(client).email == "ada@example.com"


@pytest.mark.parametrize("forgery", ["another-key", "alg-none", "other-audience"])
def test_a_forged_id_token_does_not_sign_in(client, google, forgery):
    import jwt

    identity = google.login_as("ada@example.com")
    if forgery == "another-key":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        credential = google.id_token(identity, key=other)
    elif forgery == "alg-none":
        claims = jwt.decode(google.id_token(identity), options={"verify_signature": False})
        credential = jwt.encode(claims, None, algorithm="none", headers={"kid": google.kid})
    else:
        credential = google.id_token(identity, aud="another-client")

    assert_refused(post_credential(client, credential), google)
    assert not User.objects.exists()
