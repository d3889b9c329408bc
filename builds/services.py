"""Build uploads: record them and hand them to the build pipeline's queue.

keyservice does not process builds. The integration point for the build service is two
Celery task messages on the `builds` queue (KEYSERVICE_BUILDS_QUEUE), JSON-serialised:

- `builds.process_upload` kwargs {"uploadId", "projectId", "userId", "fileUrl", "autoRelease"}
- `builds.distribute_upload` kwargs {"uploadId", "projectId", "userId"}

They are published when the transaction commits. If the broker is unreachable the upload
stays recorded with `handed_over_at` empty and the periodic sweep publishes it later.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from builds.models import Upload
from projects.models import Project
from webhooks.services import webhook_fire

logger = logging.getLogger(__name__)

PROCESS_TASK = "builds.process_upload"
DISTRIBUTE_TASK = "builds.distribute_upload"


@transaction.atomic
def upload_create(*, project: Project, user: User, file_url: str, auto_release: bool) -> Upload:
    """Record an upload (pending), fire `build.uploaded`, queue it for the pipeline."""
    upload = Upload.objects.create(
        project=project, user=user, file_url=file_url, auto_release=auto_release
    )
    webhook_fire(
        project=project,
        event="build.uploaded",
        upload_id=upload.public_id,
        file_url=file_url,
        status=upload.status,
    )
    transaction.on_commit(lambda: upload_hand_over(upload_id=upload.pk))
    return upload


@transaction.atomic
def upload_distribute(*, upload: Upload, user: User) -> None:
    """Ask the pipeline to distribute an upload."""
    Upload.objects.filter(pk=upload.pk).update(distribution_requested_at=timezone.now())
    payload = {
        "uploadId": upload.public_id,
        "projectId": upload.project.public_id,
        "userId": user.public_id,
    }
    transaction.on_commit(lambda: _publish(DISTRIBUTE_TASK, payload))


def upload_hand_over(*, upload_id: int) -> bool:
    upload = Upload.objects.select_related("project", "user").get(pk=upload_id)
    payload = {
        "uploadId": upload.public_id,
        "projectId": upload.project.public_id,
        "userId": upload.user.public_id if upload.user else None,
        "fileUrl": upload.file_url,
        "autoRelease": upload.auto_release,
    }
    if not _publish(PROCESS_TASK, payload):
        return False
    Upload.objects.filter(pk=upload_id).update(handed_over_at=timezone.now())
    return True


def upload_hand_over_sweep() -> int:
    """Publish uploads whose hand-over never reached the broker."""
    before = timezone.now() - timedelta(seconds=30)
    ids = Upload.objects.filter(handed_over_at__isnull=True, created_at__lt=before).values_list(
        "pk", flat=True
    )[:500]
    return sum(upload_hand_over(upload_id=pk) for pk in ids)


def _publish(task_name: str, payload: dict[str, Any]) -> bool:
    try:
        # The project's Celery app (keyservice/celery.py, loaded with the project): apps do
        # not import the project package.
        current_app.send_task(task_name, kwargs=payload, queue=settings.KEYSERVICE_BUILDS_QUEUE)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning("%s for upload %s not published (%s)", task_name, payload["uploadId"], exc)
        return False
    return True
