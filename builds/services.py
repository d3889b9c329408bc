"""Build uploads: record them, hand them to the build pipeline's queue, and take the pipeline's
status reports.

keyservice does not process builds. The integration point for the build service is two
Celery task messages on the `builds` queue (KEYSERVICE_BUILDS_QUEUE), JSON-serialised:

- `builds.process_upload` kwargs {"uploadId", "projectId", "userId", "fileUrl", "autoRelease"}
- `builds.distribute_upload` kwargs {"uploadId", "projectId", "userId"}

They are published when the transaction commits. If the broker is unreachable the upload
stays recorded with `handed_over_at` empty and the periodic sweep publishes it later.

The pipeline reports progress with POST /internal/v1/uploads/{uploadId}/status
(`upload_status_report`). The lifecycle model, under which both the documented order and the
CI/CD recipe (upload with `autoRelease: false`, distribute-file on `build.approved`) hold:

- `autoRelease: true`: pending → Downloading Files → Extracting & Scanning → Saving to
  Repository → Distribute → Approved. Approved means live (`released_at`).
- `autoRelease: false`: … → Saving to Repository → Approved: validated and stored, not live.
  distribute-file on such a build queues `builds.distribute_upload`; the pipeline reports
  Distribute, then Approved, which makes it live and fires nothing (`build.approved` was sent
  once already). distribute-file on a build that is not Approved yet (or rejected) is refused
  (400 "File has no URL"); on one already distributing or live it is a no-op 200.
- Reject from any state that is not terminal; Reject and live are terminal. Each event fires
  at most once per upload, so nothing loops (builds.status_transitions has the rule).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from builds.models import Upload
from builds.selectors import upload_distribution_is_noop
from builds.status_transitions import MoveKind, UploadState, upload_move_decide
from core.errors import ApplicationError
from core.ids import is_public_id
from projects.models import Project
from webhooks.services import webhook_fire

logger = logging.getLogger(__name__)

PROCESS_TASK = "builds.process_upload"
DISTRIBUTE_TASK = "builds.distribute_upload"
Status = Upload.Status


class BuildRefusal(StrEnum):
    """Why a builds service refused (core.errors.ApplicationError.reason)."""

    NOT_FOUND = "not_found"  # the status channel names no known upload
    INVALID_TRANSITION = "invalid_transition"  # the lifecycle does not allow that report
    NOT_READY = "not_ready"  # distribute-file: the build is not Approved (yet)
    PROJECT_DISABLED = "project_disabled"  # distribute-file: an operator disabled the project


def upload_create_check(*, project: Project) -> None:
    """Refuse upload-file to a project an operator disabled (before the endpoint's rate limit):
    a disabled project takes no new builds, so none can go live while it is disabled."""
    if project.status != Project.Status.ACTIVE:
        raise ApplicationError(BuildRefusal.PROJECT_DISABLED, "Access denied")


@transaction.atomic
def upload_create(*, project: Project, user: User, file_url: str, auto_release: bool) -> Upload:
    """Record an upload (pending), fire `build.uploaded`, queue it for the pipeline.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    upload_create_check(project=project)
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
    # Published from the rows in hand (the sweep, `upload_hand_over`, reads them again).
    transaction.on_commit(lambda: _hand_over(upload))
    return upload


def upload_distribute_check(*, upload: Upload) -> None:
    """Refuse distribute-file for `upload` if the model does not allow it (before the
    endpoint's rate limit, so a call made too early does not cost the one that follows)."""
    if upload.project.status != Project.Status.ACTIVE:
        raise ApplicationError(BuildRefusal.PROJECT_DISABLED, "Access denied")
    if upload.status not in (Status.APPROVED, Status.DISTRIBUTE):
        raise ApplicationError(BuildRefusal.NOT_READY, "File has no URL")


@transaction.atomic
def upload_distribute(*, upload: Upload, user: User) -> bool:
    """Ask the pipeline to distribute an approved, not yet live upload; True if asked.

    A build already distributing or live is left as it is (False): distributing it again
    would change nothing.
    """
    locked = Upload.objects.select_for_update(of=("self",)).select_related("project")
    upload = locked.get(pk=upload.pk)
    upload_distribute_check(upload=upload)
    upload.distribution_requested_at = timezone.now()
    noop = upload_distribution_is_noop(upload=upload)
    if not noop:
        upload.distribution_handed_over_at = None
        upload.distribution_user = user
    upload.save(
        update_fields=[
            "distribution_requested_at",
            "distribution_handed_over_at",
            "distribution_user",
            "updated_at",
        ]
    )
    if noop:
        return False
    transaction.on_commit(lambda: upload_distribution_hand_over(upload_id=upload.pk))
    return True


def upload_distribution_hand_over(*, upload_id: int) -> bool:
    """Publish the distribute message of an upload's last distribute-file request."""
    upload = Upload.objects.select_related("project", "distribution_user").get(pk=upload_id)
    requester = upload.distribution_user
    payload = {
        "uploadId": upload.public_id,
        "projectId": upload.project.public_id,
        "userId": requester.public_id if requester else None,
    }
    if not _publish(DISTRIBUTE_TASK, payload):
        return False
    Upload.objects.filter(pk=upload_id).update(distribution_handed_over_at=timezone.now())
    return True


@transaction.atomic
def upload_status_report(*, upload_public_id: str, status: str, objection: str | None) -> Upload:
    """The pipeline reports that an upload entered `status` (an Upload.Status value).

    Under the upload's row lock: the status transition rule (builds.status_transitions)
    decides; an accepted move updates the upload and records its webhook event, enqueued when
    this commits. A repeat of the current state changes and fires nothing. `objection` is kept
    for Reject only. Refusals: NOT_FOUND, INVALID_TRANSITION (the message names both states).

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    if status not in Status.values:
        raise ValueError(f"not an upload status: {status!r}")
    upload = (
        Upload.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(public_id=upload_public_id)
        .first()
        if is_public_id(upload_public_id)  # e.g. a NUL byte never reaches the database
        else None
    )
    if upload is None:
        raise ApplicationError(BuildRefusal.NOT_FOUND, "File not found")
    move = upload_move_decide(state=UploadState.of(upload), new=status)
    if move.kind is MoveKind.REPEAT:
        return upload
    if move.kind is MoveKind.REFUSE:
        message = f"Invalid status transition from {upload.status} to {status}"
        raise ApplicationError(
            BuildRefusal.INVALID_TRANSITION, f"{message}: {move.why}" if move.why else message
        )
    now = timezone.now()
    upload.status = status
    upload.objection = (objection or "") if status == Status.REJECT else ""
    if move.approves:
        upload.approved_at = now
    if move.releases:
        upload.released_at = now
    upload.save(update_fields=["status", "objection", "approved_at", "released_at", "updated_at"])
    if move.event is not None:
        webhook_fire(
            project=upload.project,
            event=move.event,
            upload_id=upload.public_id,
            file_url=upload.file_url,
            status=upload.status,
            objection=upload.objection or None,
        )
    return upload


def upload_hand_over(*, upload_id: int) -> bool:
    """Publish the process message of an upload (read with its project and user)."""
    return _hand_over(Upload.objects.select_related("project", "user").get(pk=upload_id))


def _hand_over(upload: Upload) -> bool:
    payload = {
        "uploadId": upload.public_id,
        "projectId": upload.project.public_id,
        "userId": upload.user.public_id if upload.user else None,
        "fileUrl": upload.file_url,
        "autoRelease": upload.auto_release,
    }
    if not _publish(PROCESS_TASK, payload):
        return False
    Upload.objects.filter(pk=upload.pk).update(handed_over_at=timezone.now())
    return True


def upload_hand_over_sweep() -> int:
    """Publish the messages that never reached the broker: uploads' hand-overs, and the
    distribute requests of approved builds that are not live yet."""
    before = timezone.now() - timedelta(seconds=30)
    ids = Upload.objects.filter(handed_over_at__isnull=True, created_at__lt=before).values_list(
        "pk", flat=True
    )[:500]
    published = sum(upload_hand_over(upload_id=pk) for pk in ids)
    asked = Upload.objects.filter(
        distribution_requested_at__lt=before,
        distribution_handed_over_at__isnull=True,
        status=Status.APPROVED,
        released_at__isnull=True,
    ).values_list("pk", flat=True)[:500]
    return published + sum(upload_distribution_hand_over(upload_id=pk) for pk in asked)


def _publish(task_name: str, payload: dict[str, Any]) -> bool:
    try:
        # The project's Celery app (keyservice/celery.py, loaded with the project): apps do
        # not import the project package.
        current_app.send_task(task_name, kwargs=payload, queue=settings.KEYSERVICE_BUILDS_QUEUE)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning("%s for upload %s not published (%s)", task_name, payload["uploadId"], exc)
        return False
    return True
