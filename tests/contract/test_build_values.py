"""docs/api.md's values for builds, as a client sees them: `files[].status` and the webhook
`status` spelled exactly as documented, `objection` null unless rejected, and on
`webhook.test` the fields that do not apply null (not ""); the OpenAPI schema says the same."""

from __future__ import annotations

import json

import pytest

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from builds.models import Upload
from tests.support.api import DETAIL, TEST_WEBHOOK, UPLOAD, VALID_ZIP
from tests.support.webhooks import webhook_set
from webhooks.events import WEBHOOK_EVENTS
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

# docs/api.md, "Build lifecycle and autoRelease": these exact strings.
DOCUMENTED = [
    "pending",
    "Downloading Files",
    "Extracting & Scanning",
    "Saving to Repository",
    "Distribute",
    "Approved",
    "Reject",
]


@pytest.fixture
def creds(owner, showroom) -> dict:
    key = apikey_issue(user=owner).plaintext
    return {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}


def test_the_stored_statuses_are_the_documented_spellings():
    assert Upload.Status.values == DOCUMENTED


def test_files_status_and_objection_as_documented(client, creds, showroom):
    for status in DOCUMENTED:
        objection = "virus found" if status == "Reject" else ""
        Upload.objects.create(
            project=showroom, file_url=VALID_ZIP, status=status, objection=objection
        )
    files = DETAIL.call(client, **creds).json()["files"]
    assert sorted(f["status"] for f in files) == sorted(DOCUMENTED)
    for file in files:
        assert file["objection"] == ("virus found" if file["status"] == "Reject" else None)


def test_an_upload_answers_pending_and_fires_build_uploaded_with_a_null_objection(
    client, creds, showroom
):
    webhook_set(showroom, url="https://hooks.example.com/k", events=list(WEBHOOK_EVENTS))
    upload_id = UPLOAD.call(client, **creds, fileUrl=VALID_ZIP).json()["uploadId"]
    [file] = DETAIL.call(client, **creds).json()["files"]
    assert (file["_id"], file["status"], file["objection"]) == (upload_id, "pending", None)
    payload = WebhookDelivery.objects.get().payload
    assert (payload["event"], payload["status"], payload["objection"]) == (
        "build.uploaded",
        "pending",
        None,
    )


def test_each_reported_state_reaches_the_webhook_with_its_documented_status(
    client, creds, showroom
):
    webhook_set(showroom, url="https://hooks.example.com/k", events=list(WEBHOOK_EVENTS))
    token = service_token_create(name="build-pipeline", scopes=["pipeline"]).plaintext
    upload = Upload.objects.create(project=showroom, file_url=VALID_ZIP)
    for status in DOCUMENTED[1:]:  # autoRelease true: all the way, then Reject is refused
        response = client.post(
            f"/internal/v1/uploads/{upload.public_id}/status",
            json.dumps({"status": status, "objection": None}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == (409 if status == "Reject" else 200), status
    payloads = [d.payload for d in WebhookDelivery.objects.order_by("id")]
    assert [(p["event"], p["status"], p["objection"]) for p in payloads] == [
        ("build.downloading", "Downloading Files", None),
        ("build.extracting", "Extracting & Scanning", None),
        ("build.saving", "Saving to Repository", None),
        ("build.distributing", "Distribute", None),
        ("build.approved", "Approved", None),
    ]


def test_webhook_test_sends_null_for_the_fields_that_do_not_apply(
    client, creds, showroom, receiver, settings
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    webhook_set(showroom, url=receiver.url(), events=[])
    assert TEST_WEBHOOK.call(client, **creds).json()["success"] is True
    [request] = receiver.requests
    payload = json.loads(request.body)
    assert list(payload) == [
        "event",
        "projectId",
        "uploadId",
        "fileUrl",
        "status",
        "objection",
        "timestamp",
    ]
    assert (payload["event"], payload["projectId"]) == ("webhook.test", showroom.public_id)
    assert [payload[k] for k in ("uploadId", "fileUrl", "status", "objection")] == [None] * 4


def test_the_openapi_schema_shows_the_statuses_and_the_status_channel(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    file = schema["components"]["schemas"]["ProjectFile"]["properties"]
    status_ref = file["status"].get("$ref") or file["status"]["allOf"][0]["$ref"]
    enum = schema["components"]["schemas"][status_ref.rsplit("/", 1)[1]]["enum"]
    assert enum == DOCUMENTED
    assert file["objection"]["nullable"] is True
    channel = schema["paths"]["/internal/v1/uploads/{uploadId}/status"]["post"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(channel["responses"])
