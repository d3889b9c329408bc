"""Event names a project can subscribe to, and the payload every delivery carries."""

from __future__ import annotations

import json

from django.utils import timezone

from core.timestamps import rest_timestamp

WEBHOOK_EVENTS: tuple[str, ...] = (
    "build.uploaded",
    "build.downloading",
    "build.extracting",
    "build.saving",
    "build.distributing",
    "build.approved",
    "build.rejected",
)
# Sent only by the dashboard/API "test webhook" action, whatever the subscription.
WEBHOOK_TEST_EVENT = "webhook.test"

PAYLOAD_KEYS: tuple[str, ...] = (
    "event",
    "projectId",
    "uploadId",
    "fileUrl",
    "status",
    "objection",
    "timestamp",
)


# The event announcing that an upload entered a status (the documented spellings, as in
# builds.models.Upload.Status and docs/api.md's "Build lifecycle and autoRelease").
STATUS_EVENTS: dict[str, str] = {
    "pending": "build.uploaded",
    "Downloading Files": "build.downloading",
    "Extracting & Scanning": "build.extracting",
    "Saving to Repository": "build.saving",
    "Distribute": "build.distributing",
    "Approved": "build.approved",
    "Reject": "build.rejected",
}


def webhook_event_for_status(status: str) -> str:
    """The event announcing that an upload reached `status` (an Upload.Status value)."""
    return STATUS_EVENTS[status]


def webhook_payload(
    *,
    project_id: str,
    event: str,
    upload_id: str | None = None,
    file_url: str | None = None,
    status: str | None = None,
    objection: str | None = None,
) -> dict[str, object]:
    """A delivery's payload (stored on the row; `webhook_body` serialises it), timestamped now.

    A field that does not apply is null, never "": `objection` unless the build was rejected,
    and on `webhook.test` the upload's fields (uploadId, fileUrl, status, objection).
    """
    return {
        "event": event,
        "projectId": project_id,
        "uploadId": upload_id or None,
        "fileUrl": file_url or None,
        "status": status or None,
        "objection": objection or None,
        "timestamp": rest_timestamp(timezone.now()),
    }


def webhook_body(*, payload: dict[str, object]) -> bytes:
    """Compact JSON in the documented key order (a JSON column may reorder keys); a key the
    stored payload lacks is null."""
    ordered = {key: payload.get(key) for key in PAYLOAD_KEYS}
    return json.dumps(ordered, separators=(",", ":")).encode()
