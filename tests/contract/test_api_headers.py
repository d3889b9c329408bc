"""Every answer of both APIs carries the same headers, whatever the outcome: the request id, the
security headers, JSON with its length, and nothing of the dashboard (no cookie, no CSP, no
`Vary: Cookie`). The APIs take their own middleware chain (core.chains); this pins what that
chain must keep sending, endpoint by endpoint, success and error alike.

KEYSERVICE_HEADER_SNAPSHOT=<file> also writes every answer's status and headers there (used to
compare the headers before and after a change of the middleware).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue

pytestmark = pytest.mark.django_db

JSON = "application/json"
SAME_EVERYWHERE = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Type": JSON,
}
NEVER = ("Set-Cookie", "Content-Security-Policy", "Vary")


def _cases(owner, showroom) -> dict[str, tuple[str, str, dict]]:
    key = apikey_issue(user=owner).plaintext
    token = service_token_create(name="headers").plaintext
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    creds = {"apiKey": key, "userId": owner.public_id, "projectId": showroom.public_id}
    query = {"apikey": key, "userId": owner.public_id}
    body = json.dumps(creds)
    detail = f"/pixelStripeApi/projects/{showroom.public_id}"
    return {
        "verify 200": ("post", "/internal/v1/verify", {"data": body, **bearer}),
        "verify 401 no token": ("post", "/internal/v1/verify", {"data": body}),
        "verify 400 malformed": ("post", "/internal/v1/verify", {"data": "{", **bearer}),
        "verify 415": (
            "post",
            "/internal/v1/verify",
            {"data": "x", "content_type": "text/plain", **bearer},
        ),
        "verify 406": ("post", "/internal/v1/verify", {"data": body, "HTTP_ACCEPT": "text/html"}),
        "verify 405": ("get", "/internal/v1/verify", {}),
        "verify 413": ("post", "/internal/v1/verify", {"data": "{}", "CONTENT_LENGTH": "9999999"}),
        "verify OPTIONS": ("options", "/internal/v1/verify", {}),
        "revoke-leaked 401": ("post", "/internal/v1/keys/revoke-leaked", {"data": "{}"}),
        "upload status 401": ("post", "/internal/v1/uploads/u1/status", {"data": "{}"}),
        "internal unrouted 404": ("post", "/internal/v1/nothing", {"data": "{}"}),
        "internal bare prefix 404": ("get", "/internal/v1", {}),
        "list 200": ("get", "/pixelStripeApi/projects", {"data": query}),
        "list 200 slash": ("get", "/pixelStripeApi/projects/", {"data": query}),
        "status 200": ("get", "/pixelStripeApi/projects/projects-status", {"data": query}),
        "detail 200": ("get", detail, {"data": query}),
        "detail 401": ("get", detail, {"data": {**query, "apikey": "spx_nope"}}),
        "detail 403 plain http": ("get", detail, {"data": query, "secure": False}),
        "detail OPTIONS": ("options", detail, {}),
        "upload 400": (
            "post",
            "/pixelStripeApi/projects/upload-file",
            {"data": json.dumps({**creds, "fileUrl": "ftp://x"})},
        ),
        "legacy upload 400": (
            "post",
            "/pixelStripeApi/project/upload-file",
            {"data": json.dumps({**creds, "fileUrl": "ftp://x"})},
        ),
        "distribute 400": (
            "post",
            "/pixelStripeApi/projects/distribute-file",
            {"data": json.dumps(creds)},
        ),
        "test-webhook 404": (
            "post",
            "/pixelStripeApi/projects/test-webhook",
            {"data": json.dumps(creds)},
        ),
        "public unrouted 404": ("get", "/pixelStripeApi/nothing/at/all", {}),
        "public bare prefix 404": ("get", "/pixelStripeApi", {}),
        # Refused by CommonMiddleware before the inner middleware ran: no Content-Length and
        # no X-Frame-Options, as before the APIs had their own chain.
        "public bad host 400": ("get", "/pixelStripeApi/projects", {"HTTP_HOST": "evil.invalid"}),
    }


def _snapshot(response) -> dict:
    headers = {k: v for k, v in response.headers.items() if k not in ("X-Request-ID",)}
    return {"status": response.status_code, "headers": dict(sorted(headers.items()))}


def test_every_api_answer_carries_the_same_headers_and_nothing_of_the_dashboard(
    client, owner, showroom
):
    seen, answers = {}, []
    for name, (method, path, kwargs) in _cases(owner, showroom).items():
        kwargs = {"secure": True, "content_type": JSON, **kwargs}
        if method != "post":
            kwargs.pop("content_type")
        response = getattr(client, method)(path, **kwargs)
        seen[name] = _snapshot(response)
        answers.append((name, kwargs, response))
    if out := os.environ.get("KEYSERVICE_HEADER_SNAPSHOT"):
        Path(out).write_text(json.dumps(seen, indent=1, sort_keys=True))
    for name, kwargs, response in answers:
        if name[-1].isdigit():
            assert response.status_code == int(name.split()[-1]), name
        assert len(response.headers["X-Request-ID"]) >= 8, name
        refused_host = name.endswith("bad host 400")
        for header, value in SAME_EVERYWHERE.items():
            if not (refused_host and header == "X-Frame-Options"):
                assert response.headers.get(header) == value, (name, header)
        if not refused_host:
            assert response.headers["Content-Length"] == str(len(response.content)), name
        assert set(json.loads(response.content)) <= {"message"} or response.status_code == 200
        for header in NEVER:
            assert header not in response.headers, (name, header)
        if kwargs["secure"]:
            assert response.headers["Strict-Transport-Security"].startswith("max-age="), name
