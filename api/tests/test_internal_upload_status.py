"""The pipeline's status channel, POST /internal/v1/uploads/{uploadId}/status: its token
scope, its answers and field errors, the event recorded with the move and sent on commit,
and two concurrent reports under the row lock (the whole transitions table is in
builds/tests/test_status_transitions.py)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from apikeys.service_tokens import service_token_create, service_token_revoke
from apikeys.services import apikey_issue
from builds.models import Upload
from tests.support.api import DETAIL, VALID_ZIP
from tests.support.webhooks import webhook_set
from webhooks.events import WEBHOOK_EVENTS
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> str:
    return service_token_create(name="build-pipeline", scopes=["pipeline"]).plaintext


@pytest.fixture
def upload(showroom) -> Upload:
    webhook_set(showroom, url="https://hooks.example.com/k", events=list(WEBHOOK_EVENTS))
    return Upload.objects.create(project=showroom, file_url=VALID_ZIP, auto_release=False)


def report(client, token, upload_id, body, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        f"/internal/v1/uploads/{upload_id}/status",
        raw,
        content_type="application/json",
        **headers,
        **extra,
    )


def assert_message(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"message": message}


def test_a_report_moves_the_upload_and_answers_its_id_and_status(client, token, upload):
    response = report(client, token, upload.public_id, {"status": "Downloading Files"})
    assert response.status_code == 200
    assert response.json() == {"uploadId": upload.public_id, "status": "Downloading Files"}
    upload.refresh_from_db()
    assert upload.status == "Downloading Files"
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == "build.downloading"
    assert delivery.payload["status"] == "Downloading Files"
    assert delivery.payload["objection"] is None


def test_the_token_needs_the_pipeline_scope(client, upload):
    body = {"status": "Downloading Files"}
    assert_message(
        report(client, None, upload.public_id, body), 401, "Unauthorized: Missing service token"
    )
    assert_message(
        report(client, "kst_not-a-token", upload.public_id, body),
        401,
        "Unauthorized: Invalid service token",
    )
    verifier = service_token_create(name="gateway", scopes=["verify", "revoke-leaked"])
    assert_message(report(client, verifier.plaintext, upload.public_id, body), 403, "Forbidden")
    both = service_token_create(name="pipeline-and-gateway", scopes=["verify", "pipeline"])
    assert report(client, both.plaintext, upload.public_id, body).status_code == 200
    service_token_revoke(service_token=both.service_token)
    response = report(client, both.plaintext, upload.public_id, {"status": "Approved"})
    assert_message(response, 401, "Unauthorized: Invalid service token")
    upload.refresh_from_db()
    assert upload.status == "Downloading Files"


def test_an_unknown_upload_is_404_file_not_found(client, token, upload):
    response = report(client, token, "0123456789abcdef01234567", {"status": "Approved"})
    assert_message(response, 404, "File not found")
    assert_message(report(client, token, "nope", {"status": "Approved"}), 404, "File not found")


def test_an_upper_case_upload_id_is_the_same_upload(client, token, upload):
    response = report(client, token, upload.public_id.upper(), {"status": "Downloading Files"})
    assert response.json() == {"uploadId": upload.public_id, "status": "Downloading Files"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing required field: status"),
        ({"status": None}, "Missing required field: status"),
        ({"status": "approved"}, "Invalid field: status"),  # the old lowercase spelling
        ({"status": "downloading"}, "Invalid field: status"),
        ({"status": "Downloading files"}, "Invalid field: status"),
        ({"status": 3}, "Invalid field: status"),
        ({"status": ["Approved"]}, "Invalid field: status"),
        ({"status": "Approved", "objection": "too early"}, "Invalid field: objection"),
        ({"status": "Reject", "objection": 7}, "Invalid field: objection"),
        ({"status": "Reject", "objection": "x" * 2001}, "Invalid field: objection"),
        ([], "Missing required field: status"),
    ],
)
def test_a_bad_body_is_a_field_error(client, token, upload, body, message):
    assert_message(report(client, token, upload.public_id, body), 400, message)
    upload.refresh_from_db()
    assert upload.status == "pending"
    assert not WebhookDelivery.objects.exists()


def test_a_body_that_is_not_json_is_refused(client, token, upload):
    assert_message(report(client, token, upload.public_id, "{nope"), 400, "Malformed JSON body")
    response = client.post(
        f"/internal/v1/uploads/{upload.public_id}/status",
        "status=Approved",
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert_message(response, 415, "Unsupported Media Type")


def test_a_reject_keeps_its_objection_and_other_states_answer_null(client, token, upload, owner):
    key = apikey_issue(user=owner).plaintext
    creds = {"api_key": key, "user_id": owner.public_id, "project_id": upload.project.public_id}
    report(client, token, upload.public_id, {"status": "Downloading Files", "objection": None})
    [file] = DETAIL.call(client, **creds).json()["files"]
    assert (file["status"], file["objection"]) == ("Downloading Files", None)

    response = report(
        client, token, upload.public_id, {"status": "Reject", "objection": "virus found"}
    )
    assert response.json() == {"uploadId": upload.public_id, "status": "Reject"}
    [file] = DETAIL.call(client, **creds).json()["files"]
    assert (file["status"], file["objection"]) == ("Reject", "virus found")
    rejected = WebhookDelivery.objects.get(event="build.rejected")
    assert (rejected.payload["status"], rejected.payload["objection"]) == ("Reject", "virus found")


def test_a_reject_without_a_reason_has_a_null_objection(client, token, upload):
    report(client, token, upload.public_id, {"status": "Reject", "objection": ""})
    assert Upload.objects.get(pk=upload.pk).status == "Reject"
    assert WebhookDelivery.objects.get(event="build.rejected").payload["objection"] is None


def test_an_invalid_move_is_409_naming_both_states(client, token, upload):
    report(client, token, upload.public_id, {"status": "Saving to Repository"})
    response = report(client, token, upload.public_id, {"status": "Downloading Files"})
    assert response.status_code == 409
    [message] = response.json().values()
    assert message.startswith(
        "Invalid status transition from Saving to Repository to Downloading Files"
    )
    report(client, token, upload.public_id, {"status": "Reject", "objection": "bad zip"})
    response = report(client, token, upload.public_id, {"status": "Approved"})
    assert response.json() == {
        "message": "Invalid status transition from Reject to Approved: the upload's state is final"
    }


def test_the_event_is_sent_when_the_move_commits_and_a_repeat_sends_nothing(
    client, token, upload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        report(client, token, upload.public_id, {"status": "Downloading Files"})
    assert len(callbacks) == 1  # the delivery's dispatch, run once the move commits
    with django_capture_on_commit_callbacks() as callbacks:
        response = report(client, token, upload.public_id, {"status": "Downloading Files"})
    assert response.json() == {"uploadId": upload.public_id, "status": "Downloading Files"}
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        response = report(client, token, upload.public_id, {"status": "pending"})
    assert response.status_code == 409
    assert callbacks == []
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["build.downloading"]


THREADS = 8


def test_concurrent_reports_of_one_move_record_it_once(postgres, showroom):
    """Under the row lock, of 8 identical reports at once one moves the upload and the others
    find it moved (idempotent 200); the event is recorded once."""
    token = service_token_create(name="build-pipeline", scopes=["pipeline"]).plaintext
    webhook_set(showroom, url="https://hooks.example.com/k", events=list(WEBHOOK_EVENTS))
    upload = Upload.objects.create(project=showroom, file_url=VALID_ZIP)
    barrier = threading.Barrier(THREADS)

    def run(_: int) -> int:
        try:
            client = Client()
            barrier.wait()
            return report(
                client, token, upload.public_id, {"status": "Saving to Repository"}
            ).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = list(pool.map(run, range(THREADS)))
    assert statuses == [200] * THREADS
    assert Upload.objects.get(pk=upload.pk).status == "Saving to Repository"
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["build.saving"]


@pytest.mark.parametrize("upload_id", ["%00", "a%00b", "6799F0C1A2B3C4D5E6F7081%00", "x" * 300])
def test_an_upload_id_that_is_not_an_id_is_404_file_not_found_never_500(client, token, upload_id):
    response = report(client, token, upload_id, {"status": "Downloading Files"})
    assert_message(response, 404, "File not found")
