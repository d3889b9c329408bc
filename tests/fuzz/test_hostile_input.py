"""Hostile input against every API endpoint: never a 5xx, always {"message": str} errors."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apikeys import crypto
from apikeys.models import Scope
from apikeys.service_tokens import service_token_create
from tests.support.api import ENDPOINTS

POST_PATHS = [e.path for e in ENDPOINTS if e.method == "POST"] + ["/internal/v1/verify"]
GET_PATHS = [e.path.replace("{projectId}", "0" * 24) for e in ENDPOINTS if e.method == "GET"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
credential_like = st.one_of(
    json_values,
    st.sampled_from(["", "spx_", "0" * 24, "spx_" + "A" * 49, "\u0000", "ⓢⓟⓧ_", "x" * 5000]),
)


def assert_clean(response) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"message"} and isinstance(body["message"], str)


@pytest.fixture
def token(db):
    return service_token_create(name="fuzz", scopes=Scope.values).plaintext


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(POST_PATHS),
    body=st.fixed_dictionaries(
        {},
        optional={
            "apiKey": credential_like,
            "userId": credential_like,
            "projectId": credential_like,
            "fileUrl": credential_like,
            "uploadId": credential_like,
            "autoRelease": credential_like,
            "access": credential_like,
        },
    )
    | json_values,
)
def test_generated_json_bodies_never_cause_a_server_error(client, token, path, body):
    response = client.post(
        path,
        json.dumps(body),
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert_clean(response)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(GET_PATHS), params=st.dictionaries(st.text(max_size=8), st.text()))
def test_generated_query_strings_never_cause_a_server_error(client, path, params):
    assert_clean(client.get(path, params, secure=True))


@pytest.mark.django_db
@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"\xff\xfe\x00invalid utf-8", "application/json"),
        (b"[" * 100000 + b"]" * 100000, "application/json"),
        (b'{"apiKey": "a", "apiKey": {"nested": [1, 2, {"x": null}]}}', "application/json"),
        (b"", "application/json"),
        (b"null", "application/json"),
        (b'"just a string"', "application/json"),
        (b"apiKey=x", "application/x-www-form-urlencoded"),
        (b"<xml/>", "application/xml"),
        (json.dumps({"apiKey": "\ud800"}).encode(), "application/json"),
        (b'{"apiKey": 1e999999}', "application/json"),
    ],
    ids=lambda v: v[:20] if isinstance(v, bytes) else v,
)
def test_malformed_bodies_get_clean_errors(client, token, path, raw, content_type):
    response = client.generic(
        "POST", path, raw, content_type=content_type, secure=True,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert_clean(response)
    assert response.status_code in (400, 401, 413, 415)


@pytest.mark.django_db
def test_wrong_service_tokens_from_one_address_are_throttled(client, owner, showroom, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "auth_failures_client": "30/120s"},
    }
    body = {"apiKey": crypto.generate_key(), "userId": owner.public_id, "projectId": "0" * 24}
    statuses = [
        client.post(
            "/internal/v1/verify",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer kst_{'x' * 43}",
        ).status_code
        for _ in range(32)
    ]
    assert statuses[:30] == [401] * 30
    assert statuses[30:] == [429, 429]


@pytest.mark.django_db
def test_wrong_passwords_are_rate_limited_for_a_while_not_forever(client, owner):
    for _ in range(5):
        client.post("/accounts/login/", {"login": owner.email, "password": "wrong-password"})
    blocked = client.post("/accounts/login/", {"login": owner.email, "password": "pw-owner-123"})
    assert client.get("/").status_code == 302  # even the right password waits now
    assert blocked.status_code in (200, 429)
    from django.core.cache import cache

    cache.clear()  # the window passing (allauth: 5 failures per 5 minutes per account)
    client.post("/accounts/login/", {"login": owner.email, "password": "pw-owner-123"})
    assert client.get("/").status_code == 200
