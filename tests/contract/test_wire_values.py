"""The values and fields of the public API as the hosted platform documents them (issue 11 §3,
docs/api.md): timestamps, region, customDomain, subscriptionStatus, liveUsers/usersInQueue,
test-webhook messages, 8 KiB presigned fileUrls, ids in any case, the `limit` cap, trailing
slashes, the legacy upload path, and the OpenAPI schema showing all of them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from apikeys.models import Scope
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from builds.models import MAX_FILE_URL_LENGTH, Upload
from projects.models import Project
from tests.support.api import DETAIL, DISTRIBUTE, LIST, STATUS, TEST_WEBHOOK, UPLOAD, VALID_ZIP
from tests.support.builds import upload_ready_to_distribute
from tests.support.webhooks import webhook_set

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ON_THE_SECOND = datetime(2026, 2, 1, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def key(owner) -> str:
    return apikey_issue(user=owner).plaintext


def _get(client, endpoint, key, owner, project=None, **params):
    return endpoint.call(client, api_key=key, user_id=owner.public_id, project_id=project, **params)


# --- timestamps ------------------------------------------------------------------------------


def test_every_rest_timestamp_has_milliseconds_and_z_even_on_the_second(
    client, key, owner, showroom
):
    upload = Upload.objects.create(project=showroom, file_url=VALID_ZIP)
    Project.objects.filter(pk=showroom.pk).update(created_at=ON_THE_SECOND)
    Upload.objects.filter(pk=upload.pk).update(
        created_at=datetime(2026, 4, 30, 19, 0, 0, 123456, tzinfo=UTC)
    )
    [item] = _get(client, LIST, key, owner).json()["projects"]
    detail = _get(client, DETAIL, key, owner, showroom.public_id).json()

    assert item["createdAt"] == detail["createdAt"] == "2026-02-01T10:15:00.000Z"
    assert detail["files"][0]["date"] == "2026-04-30T19:00:00.123Z"  # truncated, not rounded
    for value in (item["updatedAt"], detail["updatedAt"], detail["files"][0]["date"]):
        assert TIMESTAMP.match(value), value


# --- region, customDomain, subscriptionStatus, liveUsers, usersInQueue ------------------------


def test_region_defaults_to_asia_pacific_and_shows_on_list_and_detail(client, key, owner, showroom):
    assert showroom.region == "asia-pacific"
    assert _get(client, LIST, key, owner).json()["projects"][0]["region"] == "asia-pacific"
    Project.objects.filter(pk=showroom.pk).update(region=Project.Region.EUROPE)
    assert _get(client, LIST, key, owner).json()["projects"][0]["region"] == "europe"
    assert _get(client, DETAIL, key, owner, showroom.public_id).json()["region"] == "europe"
    assert Project.Region.values == ["us-east-1", "europe", "asia-pacific"]


def test_custom_domain_is_null_until_set(client, key, owner, showroom):
    assert _get(client, DETAIL, key, owner, showroom.public_id).json()["customDomain"] is None
    Project.objects.filter(pk=showroom.pk).update(custom_domain="stream.example.com")
    body = _get(client, DETAIL, key, owner, showroom.public_id).json()
    assert body["customDomain"] == "stream.example.com"


def test_services_keyservice_does_not_run_are_null_and_the_subscription_is_active(
    client, key, owner, showroom
):
    Project.objects.filter(pk=showroom.pk).update(status=Project.Status.INACTIVE)
    detail = _get(client, DETAIL, key, owner, showroom.public_id).json()
    assert (detail["liveUsers"], detail["usersInQueue"]) == (None, None)
    # No billing: the subscription is "active" whatever the operator's enable/disable (status).
    assert (detail["status"], detail["subscriptionStatus"]) == ("inactive", "active")
    [status] = _get(client, STATUS, key, owner).json()["projects"]
    assert (status["status"], status["subscriptionStatus"]) == (False, "active")


def test_the_detail_has_exactly_the_documented_fields(client, key, owner, showroom):
    body = _get(client, DETAIL, key, owner, showroom.public_id).json()
    documented = {
        "id", "name", "region", "status", "webhookUrl", "webhookEvents", "customDomain",
        "files", "liveUsers", "usersInQueue", "subscriptionStatus", "createdAt", "updatedAt",
    }  # fmt: skip
    assert set(body) == documented | {"role"}  # role: keyservice's team roles


# --- test-webhook messages -----------------------------------------------------------------


@pytest.fixture
def hooked(showroom, receiver, settings):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    webhook_set(showroom, url=receiver.url(), events=["build.approved"])
    return showroom


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (200, {"success": True, "message": "Test webhook delivered", "statusCode": 200}),
        (204, {"success": True, "message": "Test webhook delivered", "statusCode": 204}),
        (
            500,
            {
                "success": False,
                "message": "Webhook endpoint returned non-2xx status",
                "statusCode": 500,
            },
        ),
        (
            404,
            {
                "success": False,
                "message": "Webhook endpoint returned non-2xx status",
                "statusCode": 404,
            },
        ),
    ],
)
def test_test_webhook_answers_the_documented_messages(
    client, key, owner, hooked, receiver, answer, expected
):
    receiver.answer(answer)
    response = _get(client, TEST_WEBHOOK, key, owner, hooked.public_id)
    assert (response.status_code, response.json()) == (200, expected)


# --- fileUrl up to 8 KiB -------------------------------------------------------------------


def _presigned(length: int) -> str:
    base = "https://bucket.s3.amazonaws.com/builds/v1.2.0.zip?X-Amz-Signature="
    return base + "f" * (length - len(base))


def test_a_presigned_file_url_of_8_kib_is_accepted_and_stored_whole(client, key, owner, showroom):
    url = _presigned(MAX_FILE_URL_LENGTH)
    response = _get(client, UPLOAD, key, owner, showroom.public_id, fileUrl=url)
    assert response.status_code == 200, response.json()
    assert Upload.objects.get(public_id=response.json()["uploadId"]).file_url == url


def test_a_file_url_over_8_kib_is_invalid(client, key, owner, showroom):
    url = _presigned(MAX_FILE_URL_LENGTH + 1)
    response = _get(client, UPLOAD, key, owner, showroom.public_id, fileUrl=url)
    assert (response.status_code, response.json()) == (400, {"message": "Invalid field: fileUrl"})


# --- ids in any case -----------------------------------------------------------------------


def test_upper_case_ids_are_the_same_ids(client, key, owner, showroom):
    user, project = owner.public_id.upper(), showroom.public_id.upper()
    listed = LIST.call(client, api_key=key, user_id=user)
    assert [p["id"] for p in listed.json()["projects"]] == [showroom.public_id]
    detail = DETAIL.call(client, api_key=key, user_id=user, project_id=project)
    assert (detail.status_code, detail.json()["id"]) == (200, showroom.public_id)
    mixed = showroom.public_id[:12].upper() + showroom.public_id[12:]
    assert DETAIL.call(client, api_key=key, user_id=user, project_id=mixed).status_code == 200

    upload = upload_ready_to_distribute(showroom)  # approved, not live: distribute-file's case
    distributed = DISTRIBUTE.call(
        client, api_key=key, user_id=user, project_id=project, uploadId=upload.public_id.upper()
    )
    assert (distributed.status_code, distributed.json()) == (
        200,
        {"message": "Distribution triggered"},
    )


def test_internal_verify_takes_ids_in_any_case_and_answers_them_in_lower_case(
    client, key, owner, showroom
):
    token = service_token_create(name="edge", scopes=[Scope.VERIFY.value]).plaintext
    body = {
        "apiKey": key,
        "userId": owner.public_id.upper(),
        "projectId": showroom.public_id.upper(),
    }
    response = client.post(
        "/internal/v1/verify",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        secure=True,
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["userId"], response.json()["projectId"]) == (
        owner.public_id,
        showroom.public_id,
    )


def test_text_that_only_looks_like_an_id_in_another_case_is_still_not_found(client, key, owner):
    dotted_i = "İ" * 24  # lower-cases to two characters each: never treated as an id
    response = DETAIL.call(client, api_key=key, user_id=owner.public_id, project_id=dotted_i)
    assert (response.status_code, response.json()) == (404, {"message": "Project not found"})


# --- limit ---------------------------------------------------------------------------------


def test_limit_up_to_100_is_served_and_over_it_is_a_400_naming_the_field(
    client, key, owner, showroom
):
    assert _get(client, LIST, key, owner, limit="100").status_code == 200
    for limit in ("101", "1000", "999999999"):
        response = _get(client, LIST, key, owner, limit=limit)
        assert (response.status_code, response.json()) == (
            400,
            {"message": "Invalid field: limit"},
        ), limit


# --- trailing slashes and the legacy upload path ---------------------------------------------


def test_every_public_route_answers_the_same_with_a_trailing_slash(client, key, owner, showroom):
    for endpoint in (LIST, STATUS, DETAIL):
        plain = _get(client, endpoint, key, owner, showroom.public_id)
        path = endpoint.path.replace("{projectId}", showroom.public_id)
        slashed = client.get(path + "/", {"apikey": key, "userId": owner.public_id}, secure=True)
        assert (slashed.status_code, slashed.json()) == (plain.status_code, plain.json())
        assert plain.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/pixelStripeApi/projects/upload-file/",
        "/pixelStripeApi/project/upload-file",
        "/pixelStripeApi/project/upload-file/",
    ],
)
def test_upload_answers_at_the_slashed_and_legacy_paths(client, key, owner, showroom, path):
    body = {
        "apiKey": key,
        "userId": owner.public_id,
        "projectId": showroom.public_id,
        "fileUrl": VALID_ZIP,
    }
    response = client.post(path, json.dumps(body), content_type="application/json", secure=True)
    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "Build queued for processing"
    assert Upload.objects.get(public_id=response.json()["uploadId"]).project == showroom


@pytest.mark.parametrize(
    "path",
    ["/pixelStripeApi/projects/distribute-file/", "/pixelStripeApi/projects/test-webhook/"],
)
def test_the_other_writes_answer_with_a_trailing_slash_too(client, key, owner, showroom, path):
    body = {"apiKey": key, "userId": owner.public_id, "projectId": showroom.public_id}
    response = client.post(path, json.dumps(body), content_type="application/json", secure=True)
    expected = "Missing required field: uploadId" if "distribute" in path else None
    message = expected or "No webhook URL configured"
    assert response.json() == {"message": message}


# --- the OpenAPI schema --------------------------------------------------------------------


def test_the_schema_shows_the_documented_fields_and_not_the_aliases(client):
    schema = client.get("/api/schema/", {"format": "json"}, secure=True).json()
    components = schema["components"]["schemas"]
    assert "region" in components["ProjectSummary"]["properties"]
    detail = components["ProjectDetail"]["properties"]
    for name in (
        "id", "name", "region", "status", "createdAt", "updatedAt", "webhookUrl",
        "webhookEvents", "customDomain", "files", "liveUsers", "usersInQueue",
        "subscriptionStatus",
    ):  # fmt: skip
        assert name in detail, name
    assert detail["liveUsers"]["nullable"] is True
    assert detail["customDomain"]["nullable"] is True
    region = components["ProjectSummary"]["properties"]["region"]
    region = components[region["allOf"][0]["$ref"].rsplit("/", 1)[-1]]  # RegionEnum
    assert region["enum"] == [
        "us-east-1",
        "europe",
        "asia-pacific",
    ]
    [limit] = [
        p
        for p in schema["paths"]["/pixelStripeApi/projects"]["get"]["parameters"]
        if p["name"] == "limit"
    ]
    assert limit["schema"]["maximum"] == 100
    assert not [p for p in schema["paths"] if p.endswith("/") or "/project/" in p]
