"""Through the real gunicorn (gunicorn.conf.py, keyservice.wsgi, no test client skipping CSRF
or error handlers): every method on routed, unrouted and mangled paths under both API
prefixes answers JSON, never an HTML page, never a 5xx (docs/api.md, "Errors")."""

from __future__ import annotations

import json

import pytest

from tests.support.gunicorn import Gunicorn

pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ROUTED = [
    "/pixelStripeApi/projects",
    "/pixelStripeApi/projects/projects-status",
    "/pixelStripeApi/projects/67944b8a3f323be4b89a2272",
    "/pixelStripeApi/projects/upload-file",
    "/pixelStripeApi/project/upload-file",
    "/pixelStripeApi/projects/distribute-file",
    "/pixelStripeApi/projects/test-webhook",
    "/internal/v1/verify",
    "/internal/v1/keys/revoke-leaked",
]
UNROUTED = [
    "/pixelStripeApi",
    "/pixelStripeApi/",
    "/internal/v1",
    "/internal/v1/",
    "/pixelStripeApi/nope",
    "/pixelStripeApi/projects/a/b",
    "/pixelStripeApi/projects/userStats/67944b8a3f323be4b89a2272",
    "/pixelStripeApi/%ff",
    "/pixelStripeApi/a%0ab",
    "/pixelStripeApi/projects/..%2f..%2fadmin",
    "/pixelStripeApi/" + "a" * 3000,
    "/internal/v1/nope",
    "/internal/v1/verify%0a",
    # mangled by clients or proxies: doubled slashes, another case
    "//pixelStripeApi/projects",
    "///internal/v1/verify",
    "/pixelstripeapi/projects",
    "/PIXELSTRIPEAPI/projects/upload-file",
    "/Internal/V1/verify",
]
PATHS = [*ROUTED, *(p + "/" for p in ROUTED), *UNROUTED]
HTTPS = {"X-Forwarded-Proto": "https"}


def refusals(answers):
    """The answers that break the rule: not JSON, a 5xx, or an error without {"message"}."""
    bad = []
    for (method, path, variant), (status, content_type, body) in answers.items():
        where = (method, path[:80], variant, status, content_type, body[:120])
        if status >= 500 or not content_type.startswith("application/json"):
            bad.append(where)
        elif method == "HEAD":
            continue  # no body, by HTTP
        else:
            parsed = json.loads(body)
            error_shape = status < 300 or (isinstance(parsed, dict) and set(parsed) == {"message"})
            if not isinstance(parsed, dict) or not error_shape:
                bad.append(where)
    return bad


@pytest.fixture(scope="module")
def server(django_db_modify_db_settings, django_db_blocker):
    with django_db_blocker.unblock(), Gunicorn(DJANGO_TRUST_X_FORWARDED_PROTO="true") as running:
        yield running


@pytest.mark.django_db(transaction=True)
def test_every_method_on_every_api_path_answers_json_through_gunicorn(server):
    answers = {}
    for path in PATHS:
        for method in METHODS:
            with_body = method in ("POST", "PUT", "PATCH", "DELETE")
            variants = {
                "https json": (HTTPS | {"Content-Type": "application/json"}, b"{}"),
                "plain http": ({}, None),
                "https form": (
                    HTTPS | {"Content-Type": "application/x-www-form-urlencoded"},
                    b"a=1",
                ),
                "https broken json": (HTTPS | {"Content-Type": "application/json"}, b"{"),
            }
            if not with_body:
                variants = {"https": (HTTPS, None), "plain http": ({}, None)}
            for variant, (headers, body) in variants.items():
                answers[(method, path, variant)] = server.request(
                    method, path, headers=headers, body=body
                )
    assert len(answers) > 500
    assert refusals(answers) == []
    # None of them was a redirect (a trailing slash is the same route, not a 301).
    assert not [k for k, (status, *_) in answers.items() if 300 <= status < 400]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("host", ["evil.example", "bad host", ""])
def test_a_refused_host_header_is_a_json_400_under_the_api_and_html_elsewhere(server, host):
    for path in ("/pixelStripeApi/projects", "/internal/v1/verify", "/pixelStripeApi/nope"):
        for method in ("GET", "POST"):
            status, content_type, body = server.request(method, path, headers={"Host": host})
            assert (status, content_type, json.loads(body)) == (
                400,
                "application/json",
                {"message": "Bad request"},
            ), (method, path)
    # The dashboard keeps Django's own page.
    status, content_type, _ = server.request("GET", "/", headers={"Host": host})
    assert (status, content_type.split(";")[0]) == (400, "text/html")


@pytest.mark.django_db(transaction=True)
def test_options_names_the_allowed_methods_in_the_api_shape(server):
    status, content_type, body = server.request(
        "OPTIONS", "/pixelStripeApi/projects/", headers=HTTPS
    )
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {"message": "Allowed methods: GET, HEAD, OPTIONS"}
    status, _, body = server.request(
        "OPTIONS", "/pixelStripeApi/project/upload-file", headers=HTTPS
    )
    assert (status, json.loads(body)) == (200, {"message": "Allowed methods: POST, OPTIONS"})
