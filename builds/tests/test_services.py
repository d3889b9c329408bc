"""Uploads are handed to the build pipeline's queue (the integration point) and fire
`build.uploaded`."""

from apikeys.services import apikey_issue
from builds.models import Upload
from builds.services import upload_hand_over_sweep, upload_status_report
from tests.support.api import DISTRIBUTE, UPLOAD, VALID_ZIP
from tests.support.builds import queued
from tests.support.webhooks import webhook_set
from webhooks.models import WebhookDelivery

PIPELINE_STEPS = ["Downloading Files", "Extracting & Scanning", "Saving to Repository", "Approved"]


def test_an_upload_is_published_on_the_builds_queue_with_the_documented_payload(
    client, settings, owner, showroom, celery_broker, broker_queue
):
    builds_queue = settings.KEYSERVICE_BUILDS_QUEUE = f"{broker_queue}-builds"
    key = apikey_issue(user=owner).plaintext
    creds = {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}
    response = UPLOAD.call(client, **creds, fileUrl=VALID_ZIP, autoRelease=False)
    upload_id = response.json()["uploadId"]

    assert queued(celery_broker, builds_queue) == [
        {
            "task": "builds.process_upload",
            "kwargs": {
                "uploadId": upload_id,
                "projectId": showroom.public_id,
                "userId": owner.public_id,
                "fileUrl": VALID_ZIP,
                "autoRelease": False,
            },
        }
    ]
    assert Upload.objects.get(public_id=upload_id).handed_over_at is not None

    # The pipeline approves it (autoRelease false: not live); distribute-file hands it over.
    for status in PIPELINE_STEPS:
        upload_status_report(upload_public_id=upload_id, status=status, objection=None)
    response = DISTRIBUTE.call(client, **creds, uploadId=upload_id)
    assert response.json() == {"message": "Distribution triggered"}
    [message] = queued(celery_broker, builds_queue)
    assert message == {
        "task": "builds.distribute_upload",
        "kwargs": {
            "uploadId": upload_id,
            "projectId": showroom.public_id,
            "userId": owner.public_id,
        },
    }


def test_an_upload_that_missed_the_broker_is_published_by_the_sweep(
    settings, owner, showroom, celery_broker, broker_queue
):
    settings.KEYSERVICE_BUILDS_QUEUE = broker_queue
    upload = Upload.objects.create(project=showroom, user=owner, file_url=VALID_ZIP)
    Upload.objects.filter(pk=upload.pk).update(created_at=upload.created_at.replace(year=2020))
    assert upload_hand_over_sweep() == 1
    [message] = queued(celery_broker, broker_queue)
    assert message["kwargs"]["uploadId"] == upload.public_id
    assert upload_hand_over_sweep() == 0


def test_an_upload_fires_build_uploaded_to_a_subscribed_project(db, client, owner, showroom):
    webhook_set(showroom, url="https://hooks.example.com/keyservice", events=["build.uploaded"])
    key = apikey_issue(user=owner).plaintext
    response = UPLOAD.call(
        client,
        api_key=key,
        user_id=owner.public_id,
        project_id=showroom.public_id,
        fileUrl=VALID_ZIP,
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "build.uploaded"
    assert delivery.payload["uploadId"] == response.json()["uploadId"]
    assert delivery.payload["fileUrl"] == VALID_ZIP
    assert delivery.payload["status"] == "pending"
