"""The OpenAPI schema describes the leak intake endpoints as they answer (api/schema_leaks.py);
tests/fuzz/test_api_schema.py checks real answers against it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    return client.get("/api/schema/", {"format": "json"}, secure=True).json()


def component(schema: dict, ref: dict) -> dict:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]


def test_the_public_revocation_endpoint_is_described_with_its_one_answer(schema):
    operation = schema["paths"]["/pixelStripeApi/keys/revoke"]["post"]

    assert operation["operationId"] == "keys_revoke"
    assert set(operation["responses"]) == {"202", "400", "403", "413", "415", "429", "500", "503"}
    accepted = operation["responses"]["202"]["content"]["application/json"]["schema"]
    assert component(schema, accepted)["properties"] == {"received": {"type": "integer"}}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    keys = component(schema, body)["properties"]["keys"]
    assert (keys["minItems"], keys["maxItems"], keys["items"]["maxLength"]) == (1, 100, 256)
    assert "/pixelStripeApi/keys/revoke/" not in schema["paths"]  # the slash alias is hidden


def test_the_github_endpoint_names_both_signature_headers_and_githubs_feedback_format(schema):
    operation = schema["paths"]["/pixelStripeApi/keys/github-secret-scanning"]["post"]

    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
    assert set(headers) == {"Github-Public-Key-Identifier", "Github-Public-Key-Signature"}
    assert all(p["required"] for p in headers.values())
    assert set(operation["responses"]) >= {"200", "400", "401", "503"}
    feedback = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert feedback["type"] == "array"
    item = component(schema, feedback["items"])
    assert set(item["properties"]) == {"token_raw", "token_type", "label"}
    assert item["properties"]["label"]["$ref"]  # an enum component
    label = component(schema, item["properties"]["label"])
    assert label["enum"] == ["true_positive", "false_positive"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"
    assert component(schema, body["items"])["required"] == ["token"]
