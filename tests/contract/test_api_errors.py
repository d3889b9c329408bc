"""docs/api.md's error table, row by row, for every public endpoint: exact status, exact body."""

import json

import pytest

from apikeys import crypto
from apikeys.services import apikey_issue
from builds.models import Upload
from tests.support.api import DISTRIBUTE, ENDPOINTS, PROJECT_ENDPOINTS, UPLOAD, VALID_ZIP
from tests.support.builds import upload_ready_to_distribute

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_key(owner):
    return apikey_issue(user=owner).plaintext


def ok_fields(endpoint, project):
    if endpoint is UPLOAD:
        return {"fileUrl": VALID_ZIP}
    if endpoint is DISTRIBUTE:
        return {"uploadId": upload_ready_to_distribute(project).public_id}
    return {}


def assert_error(response, status, message):
    assert response.status_code == status, response.content
    assert response.json() == {"message": message}


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.method == "POST"], ids=str)
def test_row_1_a_body_that_is_not_json_is_refused(client, endpoint, owner_key):
    response = client.post(endpoint.path, "apiKey=x", content_type="text/plain", secure=True)
    assert_error(response, 415, "Unsupported Media Type")
    response = client.post(endpoint.path, "{not json", content_type="application/json", secure=True)
    assert_error(response, 400, "Malformed JSON body")


MISSING_CASES = [
    pytest.param(endpoint, missing, id=f"{endpoint.name}-{missing}")
    for endpoint in ENDPOINTS
    for missing in ("apiKey", "userId", "projectId")
    # list endpoints take no projectId; the detail endpoint takes it from the path
    if missing != "projectId" or endpoint.method == "POST"
]


@pytest.mark.parametrize(("endpoint", "missing"), MISSING_CASES)
def test_row_2_a_missing_credential_is_a_400(client, endpoint, missing, owner, owner_key, showroom):
    creds = {"api_key": owner_key, "user_id": owner.public_id, "project_id": showroom.public_id}
    creds[{"apiKey": "api_key", "userId": "user_id", "projectId": "project_id"}[missing]] = None
    response = endpoint.call(client, **creds)
    message = (
        "projectId, userId and apikey are required"
        if endpoint.has_project
        else "userId and apikey are required"
    )
    assert_error(response, 400, message)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.method == "POST"], ids=str)
@pytest.mark.parametrize("bad", [123, None, ["x"], {"a": 1}, True])
def test_row_2_a_credential_that_is_not_a_string_is_a_400(client, endpoint, bad, owner, showroom):
    body = {"apiKey": bad, "userId": owner.public_id, "projectId": showroom.public_id}
    response = client.post(endpoint.path, json.dumps(body), "application/json", secure=True)
    assert_error(response, 400, "projectId, userId and apikey are required")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_row_3_a_wrong_unknown_or_rotated_key_is_a_401(client, endpoint, owner, showroom):
    old = apikey_issue(user=owner).plaintext
    apikey_issue(user=owner)
    typo = old[:-1] + ("a" if old[-1] != "a" else "b")
    for key in (old, typo, crypto.generate_key(), "spx_short", "not-a-key"):
        response = endpoint.call(
            client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id
        )
        assert_error(response, 401, "Unauthorized: Invalid API Key")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_row_4_a_valid_key_with_another_user_id_is_a_401(
    client, endpoint, owner_key, outsider, showroom
):
    response = endpoint.call(
        client, api_key=owner_key, user_id=outsider.public_id, project_id=showroom.public_id
    )
    assert_error(response, 401, "Invalid User")


@pytest.mark.parametrize("endpoint", PROJECT_ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("project_id", ["0123456789abcdef01234567", "nope", "X" * 24])
def test_row_5_an_unknown_project_is_a_404(client, endpoint, project_id, owner, owner_key):
    response = endpoint.call(
        client, api_key=owner_key, user_id=owner.public_id, project_id=project_id
    )
    assert_error(response, 404, "Project not found")


@pytest.mark.parametrize("endpoint", PROJECT_ENDPOINTS, ids=lambda e: e.name)
def test_row_6_no_access_is_a_403(client, endpoint, outsider, showroom):
    key = apikey_issue(user=outsider).plaintext
    response = endpoint.call(
        client, api_key=key, user_id=outsider.public_id, project_id=showroom.public_id
    )
    assert_error(response, 403, "Forbidden")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Missing required field: fileUrl"),
        ({"fileUrl": ""}, "Missing required field: fileUrl"),
        ({"fileUrl": 42}, "Invalid field: fileUrl"),
        ({"fileUrl": "ftp://example.com/app.zip"}, "Invalid field: fileUrl"),
        ({"fileUrl": "https://example.com/app.tar.gz"}, "Invalid field: fileUrl"),
        ({"fileUrl": "https:///app.zip"}, "Invalid field: fileUrl"),
        (
            {"fileUrl": "https://example.com/app.zip?x=1", "autoRelease": "yes"},
            "Invalid field: autoRelease",
        ),
    ],
)
def test_row_7_upload_fields_are_validated_with_the_field_named(
    client, fields, message, owner, owner_key, showroom
):
    response = UPLOAD.call(
        client, api_key=owner_key, user_id=owner.public_id, project_id=showroom.public_id, **fields
    )
    assert_error(response, 400, message)
    assert not Upload.objects.exists()


def test_row_7_distribute_names_a_missing_upload_id_and_404s_a_foreign_one(
    client, owner, owner_key, showroom, configurator
):
    creds = {"api_key": owner_key, "user_id": owner.public_id, "project_id": showroom.public_id}
    assert_error(DISTRIBUTE.call(client, **creds), 400, "Missing required field: uploadId")
    assert_error(DISTRIBUTE.call(client, **creds, uploadId=7), 400, "Invalid field: uploadId")
    elsewhere = Upload.objects.create(project=configurator, file_url=VALID_ZIP)
    response = DISTRIBUTE.call(client, **creds, uploadId=elsewhere.public_id)
    assert_error(response, 404, "File not found in project")


@pytest.mark.parametrize("endpoint", [UPLOAD, DISTRIBUTE], ids=lambda e: e.name)
def test_row_8_a_second_write_within_two_minutes_is_a_429_with_retry_after(
    client, endpoint, owner, owner_key, showroom
):
    creds = {"api_key": owner_key, "user_id": owner.public_id, "project_id": showroom.public_id}
    first = endpoint.call(client, **creds, **ok_fields(endpoint, showroom))
    assert first.status_code == 200, first.content
    second = endpoint.call(client, **creds, **ok_fields(endpoint, showroom))
    assert_error(second, 429, "Rate limit exceeded. Try again in 2 minutes.")
    assert 100 <= int(second["Retry-After"]) <= 120


def test_checks_run_in_the_documented_order(client, owner, owner_key, outsider):
    """Bad key + wrong user + unknown project + bad field: the key answers first, etc."""
    bad = {"fileUrl": "nope"}
    unknown = "0123456789abcdef01234567"
    r = UPLOAD.call(client, api_key="x", user_id=outsider.public_id, project_id=unknown, **bad)
    assert_error(r, 401, "Unauthorized: Invalid API Key")
    r = UPLOAD.call(
        client, api_key=owner_key, user_id=outsider.public_id, project_id=unknown, **bad
    )
    assert_error(r, 401, "Invalid User")
    r = UPLOAD.call(client, api_key=owner_key, user_id=owner.public_id, project_id=unknown, **bad)
    assert_error(r, 404, "Project not found")


def test_plain_http_is_refused_unless_allowed(client, settings, owner, owner_key, showroom):
    settings.KEYSERVICE_ALLOW_HTTP = False
    creds = {"api_key": owner_key, "user_id": owner.public_id, "project_id": showroom.public_id}
    for endpoint in ENDPOINTS:
        assert_error(endpoint.call(client, **creds, secure=False), 403, "HTTPS required")
    settings.KEYSERVICE_ALLOW_HTTP = True
    assert ENDPOINTS[0].call(client, **creds, secure=False).status_code == 200


def test_a_trusted_proxy_header_counts_as_https_only_when_configured(
    client, settings, owner, owner_key
):
    settings.KEYSERVICE_ALLOW_HTTP = False
    query = {"apikey": owner_key, "userId": owner.public_id}
    headers = {"HTTP_X_FORWARDED_PROTO": "https"}
    assert client.get("/pixelStripeApi/projects", query, **headers).status_code == 403
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/pixelStripeApi/projects", query, **headers).status_code == 200


def test_an_authorization_header_is_never_a_credential(client, owner, owner_key):
    response = client.get(
        "/pixelStripeApi/projects",
        {"userId": owner.public_id},
        HTTP_AUTHORIZATION=f"Bearer {owner_key}",
        secure=True,
    )
    assert_error(response, 400, "userId and apikey are required")


def test_get_accepts_api_key_spelled_apiKey_too(client, owner, owner_key):
    query = {"apiKey": owner_key, "userId": owner.public_id}
    assert client.get("/pixelStripeApi/projects", query, secure=True).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("get", "/pixelStripeApi/nothing-here", 404, "Not found"),
        ("get", "/pixelStripeApi/projects/a/b", 404, "Not found"),
        ("get", "/internal/v1/nothing", 404, "Not found"),
        ("delete", "/pixelStripeApi/projects", 405, "Method not allowed"),
        ("put", "/pixelStripeApi/projects/upload-file", 405, "Method not allowed"),
        ("get", "/pixelStripeApi/projects/upload-file", 405, "Method not allowed"),
        ("get", "/internal/v1/verify", 405, "Method not allowed"),
    ],
)
def test_unknown_paths_and_methods_answer_with_a_message_body(
    client, method, path, status, message
):
    response = getattr(client, method)(path, secure=True)
    assert_error(response, status, message)


def test_an_unexpected_error_is_a_500_without_a_traceback(client, owner, owner_key, monkeypatch):
    import api.public_views

    def explode(**kwargs):
        raise RuntimeError("database on fire: secret detail")

    monkeypatch.setattr(api.public_views, "project_list_visible", explode)
    client.raise_request_exception = False
    response = client.get(
        "/pixelStripeApi/projects", {"apikey": owner_key, "userId": owner.public_id}, secure=True
    )
    assert_error(response, 500, "Internal server error")
