"""distribute-file under the lifecycle model: only an approved build is distributed; one not
approved yet (or rejected) is 400 `File has no URL`, a project disabled by an operator 403
`Access denied`; a build already distributing or live is left as it is."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apikeys.services import apikey_issue
from builds.models import Upload
from builds.services import upload_hand_over_sweep
from projects.models import Project
from tests.support.api import DISTRIBUTE, UPLOAD, VALID_ZIP
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


def test_a_no_op_call_does_not_spend_the_rate_limit_either(client, creds, showroom, one_per_window):
    """A listener that calls distribute-file for a build that is live already (autoRelease
    true) still distributes the next approved build at once."""
    live = upload_ready_to_distribute(showroom, status="Approved", released_at=timezone.now())
    waiting = upload_ready_to_distribute(showroom)
    assert DISTRIBUTE.call(client, **creds, uploadId=live.public_id).status_code == 200
    assert DISTRIBUTE.call(client, **creds, uploadId=waiting.public_id).status_code == 200
    assert Upload.objects.get(pk=waiting.pk).distribution_requested_at is not None
    assert DISTRIBUTE.call(client, **creds, uploadId=waiting.public_id).status_code == 429


def test_a_distribute_request_the_broker_missed_is_sent_by_the_sweep(
    settings, owner, showroom, celery_broker, broker_queue
):
    builds_queue = settings.KEYSERVICE_BUILDS_QUEUE = f"{broker_queue}-builds"
    long_ago = timezone.now().replace(year=2020)
    missed = upload_ready_to_distribute(
        showroom, distribution_requested_at=long_ago, distribution_user=owner
    )
    upload_ready_to_distribute(  # sent when it was asked for: not again
        showroom, distribution_requested_at=long_ago, distribution_handed_over_at=long_ago
    )
    upload_ready_to_distribute(  # live meanwhile: nothing left to send
        showroom, distribution_requested_at=long_ago, released_at=timezone.now()
    )

    assert upload_hand_over_sweep() == 1
    [message] = queued(celery_broker, builds_queue)
    assert message == {
        "task": "builds.distribute_upload",
        "kwargs": {
            "uploadId": missed.public_id,
            "projectId": showroom.public_id,
            "userId": owner.public_id,
        },
    }
    assert Upload.objects.get(pk=missed.pk).distribution_handed_over_at is not None
    assert upload_hand_over_sweep() == 0


def test_an_upload_to_a_disabled_project_is_403_and_spends_no_budget(
    client, creds, showroom, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "upload": "1/120s",
        },
    }
    Project.objects.filter(pk=showroom.pk).update(status=Project.Status.INACTIVE)
    refused = UPLOAD.call(client, **creds, fileUrl=VALID_ZIP)
    assert (refused.status_code, refused.json()) == (403, {"message": "Access denied"})
    assert not Upload.objects.exists()
    Project.objects.filter(pk=showroom.pk).update(status=Project.Status.ACTIVE)
    assert UPLOAD.call(client, **creds, fileUrl=VALID_ZIP).status_code == 200
