"""Deeply nested JSON bodies are malformed bodies (400), never a RecursionError 500, on the
public and the internal API, with or without a valid service token (review r3, F4)."""

from __future__ import annotations

import pytest

from api.parsers import MAX_JSON_DEPTH
from apikeys.models import Scope
from apikeys.service_tokens import service_token_create

MALFORMED = {"message": "Malformed JSON body"}
DEPTHS = [MAX_JSON_DEPTH + 1, 100, 400, 500, 700, 900, 990, 1500, 5000]
PATHS = [
    "/pixelStripeApi/projects/upload-file",
    "/pixelStripeApi/projects/distribute-file",
    "/pixelStripeApi/projects/test-webhook",
    "/internal/v1/verify",
    "/internal/v1/keys/revoke-leaked",
]


def nested(kind: str, depth: int) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    # a deep value inside an otherwise well-formed body, behind a NUL nowhere near the top
    return '{"apiKey": "x", "userId": ' + "[" * depth + '"\\u0000"' + "]" * depth + "}"


@pytest.fixture
def token(db):
    return service_token_create(name="deep", scopes=Scope.values).plaintext


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", ["list", "object", "field"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_deeply_nested_json_is_a_malformed_body_not_a_server_error(
    client, settings, token, path, kind, depth
):
    settings.KEYSERVICE_ALLOW_HTTP = True
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if path.startswith("/internal") else {}
    response = client.post(
        path, nested(kind, depth), content_type="application/json", secure=True, **headers
    )
    assert (response.status_code, response.json()) == (400, MALFORMED)


def test_json_nested_within_the_bound_still_parses(client, settings, token):
    settings.KEYSERVICE_ALLOW_HTTP = True
    body = '{"apiKey": "x", "userId": "u", "projectId": "p", "x": ' + "[" * 20 + "]" * 20 + "}"
    response = client.post(
        "/internal/v1/verify",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 401  # past the parser: the (invalid) key is checked
