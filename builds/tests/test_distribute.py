"""distribute-file under the lifecycle model: only an approved build is distributed; one not
approved yet (or rejected) is 400 `File has no URL`, a project disabled by an operator 403
`Access denied`; a build already distributing or live is left as it is."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apikeys.services import apikey_issue
from builds.models import Upload
from projects.models import Project
from tests.support.api import DISTRIBUTE, VALID_ZIP
from tests.support.builds import queued, upload_ready_to_distribute

pytestmark = pytest.mark.django_db


@pytest.fixture
def creds(owner, showroom) -> dict:
    key = apikey_issue(user=owner).plaintext
    return {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}


@pytest.fixture
def one_per_window(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "distribute": "1/120s",
        },
    }


@pytest.mark.parametrize(
    "status",
    ["pending", "Downloading Files", "Extracting & Scanning", "Saving to Repository", "Reject"],
)
def test_a_build_not_approved_is_400_file_has_no_url(client, creds, showroom, status):
    upload = Upload.objects.create(
        project=showroom, file_url=VALID_ZIP, auto_release=False, status=status
    )
    response = DISTRIBUTE.call(client, **creds, uploadId=upload.public_id)
    assert response.status_code == 400
    assert response.json() == {"message": "File has no URL"}
    assert Upload.objects.get(pk=upload.pk).distribution_requested_at is None


def test_an_approved_build_is_handed_to_the_pipeline_once_per_call(
    client, settings, creds, showroom, owner, celery_broker, broker_queue
):
    builds_queue = settings.KEYSERVICE_BUILDS_QUEUE = f"{broker_queue}-builds"
    upload = upload_ready_to_distribute(showroom)
    response = DISTRIBUTE.call(client, **creds, uploadId=upload.public_id)
    assert response.json() == {"message": "Distribution triggered"}
    assert Upload.objects.get(pk=upload.pk).distribution_requested_at is not None
    [message] = queued(celery_broker, builds_queue)
    assert message == {
        "task": "builds.distribute_upload",
        "kwargs": {
            "uploadId": upload.public_id,
            "projectId": showroom.public_id,
            "userId": owner.public_id,
        },
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "Distribute", "auto_release": True},  # autoRelease true, on its way live
        {"status": "Distribute", "distribution_requested_at": timezone.now()},  # asked already
        {"status": "Approved", "released_at": timezone.now()},  # live
    ],
    ids=["auto-distributing", "distributing", "live"],
)
def test_a_build_distributing_or_live_is_left_as_it_is(
    client, settings, creds, showroom, celery_broker, broker_queue, fields
):
    builds_queue = settings.KEYSERVICE_BUILDS_QUEUE = f"{broker_queue}-builds"
    upload = upload_ready_to_distribute(showroom, **fields)
    response = DISTRIBUTE.call(client, **creds, uploadId=upload.public_id)
    assert response.json() == {"message": "Distribution triggered"}
    assert queued(celery_broker, builds_queue) == []
    after = Upload.objects.get(pk=upload.pk)
    assert (after.status, after.released_at) == (upload.status, upload.released_at)


def test_a_project_disabled_by_an_operator_is_403_access_denied(client, creds, showroom):
    upload = upload_ready_to_distribute(showroom)
    Project.objects.filter(pk=showroom.pk).update(status=Project.Status.INACTIVE)
    response = DISTRIBUTE.call(client, **creds, uploadId=upload.public_id)
    assert response.status_code == 403
    assert response.json() == {"message": "Access denied"}
    assert Upload.objects.get(pk=upload.pk).distribution_requested_at is None


def test_a_call_made_too_early_does_not_spend_the_rate_limit(
    client, creds, showroom, one_per_window
):
    """A CI job that calls before build.approved gets 400, and its call once the build is
    approved still passes (refused before the 1-per-2-minutes limit is counted)."""
    upload = Upload.objects.create(project=showroom, file_url=VALID_ZIP, auto_release=False)
    assert DISTRIBUTE.call(client, **creds, uploadId=upload.public_id).status_code == 400
    Upload.objects.filter(pk=upload.pk).update(status="Approved", approved_at=timezone.now())
    assert DISTRIBUTE.call(client, **creds, uploadId=upload.public_id).status_code == 200
    assert DISTRIBUTE.call(client, **creds, uploadId=upload.public_id).status_code == 429
