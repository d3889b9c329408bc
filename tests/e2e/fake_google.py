"""A fake Google OAuth 2.0 / OpenID Connect server for tests (stdlib http.server, one thread).

It speaks the parts of Google's protocol that allauth uses, strictly enough that a broken
client fails: the authorization endpoint auto-approves as the identity chosen with
`login_as()` (a registered client id, `response_type=code` and a redirect URI are required;
the state and the PKCE challenge are carried over), the token endpoint checks the client
secret, the one-time code, the redirect URI and the PKCE verifier, and returns an access token
plus an id_token signed RS256 with a key generated at start; the certs endpoints publish that
key (Google's v1 PEM-certificate format and v3 JWKS), and userinfo answers for the access token.

    fake = FakeGoogle().start()
    fake.login_as("ada@example.com", "Ada Lovelace")
    settings.update(fake.django_settings())
    ...
    fake.stop()
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

AUTHORIZE_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"
CERTS_PATH = "/oauth2/v1/certs"
JWKS_PATH = "/oauth2/v3/certs"
USERINFO_PATH = "/oauth2/v2/userinfo"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Identity:
    email: str
    name: str = ""
    sub: str = ""
    email_verified: bool = True

    def claims(self) -> dict:
        given, _, family = self.name.partition(" ")
        claims = {"sub": self.sub, "email": self.email, "email_verified": self.email_verified}
        if self.name:
            claims.update(name=self.name, given_name=given)
            if family:
                claims["family_name"] = family
        return claims


@dataclass
class Grant:
    identity: Identity
    client_id: str
    redirect_uri: str
    scope: list[str]
    code_challenge: str | None
    nonce: str | None
    expires: float = field(default_factory=lambda: time.monotonic() + 60)


class FakeGoogle:
    def __init__(
        self,
        client_id: str = "fake-client-id.apps.googleusercontent.com",
        client_secret: str = "fake-client-secret",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(20)
        self._certificate_pem = self._self_signed_certificate()
        self._lock = threading.Lock()
        self._identity: Identity | None = None
        self._grants: dict[str, Grant] = {}
        self._access_tokens: dict[str, Identity] = {}
        self.authorize_requests: list[dict[str, str]] = []  # query of each authorization
        self.token_requests: list[dict[str, str]] = []  # form of each code exchange
        # Arguments for id_token() on the next code exchanges: forge what Google never would,
        # e.g. {"key": other_key}, {"aud": "someone-else"}, {"exp": 0}.
        self.tamper: dict = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle and configuration ---------------------------------------------------------

    def start(self) -> FakeGoogle:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-google", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeGoogle is not started"
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # a TCP server's address (bytes only for AF_UNIX)
        return f"http://{host}:{port}"

    @property
    def issuer(self) -> str:
        return self.url

    def django_settings(self) -> dict[str, str]:
        """The KEYSERVICE_GOOGLE_* settings that point sign-in at this server."""
        return {
            "KEYSERVICE_GOOGLE_AUTHORIZE_URL": self.url + AUTHORIZE_PATH,
            "KEYSERVICE_GOOGLE_TOKEN_URL": self.url + TOKEN_PATH,
            "KEYSERVICE_GOOGLE_CERTS_URL": self.url + CERTS_PATH,
            "KEYSERVICE_GOOGLE_USERINFO_URL": self.url + USERINFO_PATH,
            "KEYSERVICE_GOOGLE_ISSUER": self.issuer,
        }

    def social_app(self) -> dict[str, str]:
        """The allauth app entry (SOCIALACCOUNT_PROVIDERS["google"]["APPS"]) for this client."""
        return {"client_id": self.client_id, "secret": self.client_secret, "key": ""}

    def login_as(
        self, email: str, name: str = "", *, sub: str | None = None, email_verified: bool = True
    ) -> Identity:
        """Who the next authorizations approve as (the same email gets the same stable sub)."""
        if sub is None:
            sub = str(int(hashlib.sha256(email.lower().encode()).hexdigest()[:15], 16))
        identity = Identity(email=email, name=name, sub=sub, email_verified=email_verified)
        with self._lock:
            self._identity = identity
        return identity

    def reset(self) -> None:
        with self._lock:
            self._identity = None
            self._grants.clear()
            self._access_tokens.clear()
            self.authorize_requests.clear()
            self.token_requests.clear()
            self.tamper = {}

    # --- tokens ------------------------------------------------------------------------------

    def certificate_pem(self) -> str:
        return self._certificate_pem

    def _self_signed_certificate(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-google")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return {"keys": [jwk]}

    def id_token(
        self,
        identity: Identity,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        key=None,
        kid: str | None = None,
        **overrides,
    ) -> str:
        """An id_token as Google signs it; `key`/`kid`/claim overrides make forged ones."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "azp": self.client_id,
            "aud": self.client_id,
            **identity.claims(),
            "iat": now,
            "exp": now + 3600,
        }
        if access_token:
            digest = hashlib.sha256(access_token.encode()).digest()
            claims["at_hash"] = b64url(digest[:16])
        if nonce:
            claims["nonce"] = nonce
        claims.update(overrides)
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    # --- endpoints (called from the server thread) -------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id:
            return _error_page("invalid_client: unknown client_id")
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return _error_page("redirect_uri_mismatch")
        if query.get("response_type") != "code":
            return _error_page("unsupported_response_type")
        challenge = query.get("code_challenge")
        if challenge and query.get("code_challenge_method") != "S256":
            return _error_page("invalid_request: code_challenge_method must be S256")
        with self._lock:
            identity = self._identity
        if identity is None:
            return _error_page("fake Google: nobody is signed in (call login_as() first)")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = Grant(
                identity=identity,
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                scope=query.get("scope", "").split(),
                code_challenge=challenge,
                nonce=query.get("nonce"),
            )
        params = {"code": code, "scope": query.get("scope", "")}
        if "state" in query:
            params["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return HTTPStatus.FOUND, {"Location": redirect_uri + separator + urlencode(params)}, ""

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        self.token_requests.append(form)
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        if client_id != self.client_id or secret != self.client_secret:
            return HTTPStatus.UNAUTHORIZED, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return HTTPStatus.BAD_REQUEST, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code works once
        if grant is None or grant.expires < time.monotonic():
            return HTTPStatus.BAD_REQUEST, {"error": "invalid_grant", "error_description": "code"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return HTTPStatus.BAD_REQUEST, {"error": "redirect_uri_mismatch"}
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            computed = b64url(hashlib.sha256(verifier.encode()).digest())
            if not verifier or not secrets.compare_digest(computed, grant.code_challenge):
                return HTTPStatus.BAD_REQUEST, {
                    "error": "invalid_grant",
                    "error_description": "code_verifier",
                }
        access_token = "fake-at-" + secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant.identity
        body = {
            "access_token": access_token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": " ".join(grant.scope),
        }
        if "openid" in grant.scope:
            body["id_token"] = self.id_token(
                grant.identity, access_token=access_token, nonce=grant.nonce, **self.tamper
            )
        return HTTPStatus.OK, body

    def userinfo(self, authorization: str) -> tuple[int, dict]:
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            identity = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
        if identity is None:
            return HTTPStatus.UNAUTHORIZED, {"error": "invalid_token"}
        claims = identity.claims()
        return HTTPStatus.OK, {
            "id": claims.pop("sub"),
            "verified_email": claims.pop("email_verified"),
            **claims,
        }


def _error_page(message: str) -> tuple[int, dict[str, str], str]:
    return HTTPStatus.BAD_REQUEST, {"Content-Type": "text/plain; charset=utf-8"}, message


def _handler_for(fake: FakeGoogle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeGoogle/1"

        def log_message(self, format, *args):
            pass

        def _send(self, status: int, body: str | dict, headers: dict | None = None) -> None:
            headers = dict(headers or {})
            if isinstance(body, dict):
                data = json.dumps(body).encode()
                headers.setdefault("Content-Type", "application/json; charset=utf-8")
            else:
                data = body.encode()
                headers.setdefault("Content-Type", "text/html; charset=utf-8")
            self.send_response(status)
            for name, value in {**headers, "Cache-Control": "no-store"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == AUTHORIZE_PATH:
                status, headers, body = fake.authorize(query)
                self._send(status, body, headers)
            elif parts.path == CERTS_PATH:
                self._send(HTTPStatus.OK, {fake.kid: fake.certificate_pem()})
            elif parts.path == JWKS_PATH:
                self._send(HTTPStatus.OK, fake.jwks())
            elif parts.path == USERINFO_PATH:
                self._send(*fake.userinfo(self.headers.get("Authorization", "")))
            else:
                self._send(HTTPStatus.NOT_FOUND, {"error": "not_found"})

        def do_POST(self):
            if urlsplit(self.path).path != TOKEN_PATH:
                self._send(HTTPStatus.NOT_FOUND, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            basic = None
            scheme, _, credentials = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "basic":
                user, _, password = base64.b64decode(credentials).decode().partition(":")
                basic = (user, password)
            self._send(*fake.token(form, basic))

    return Handler
