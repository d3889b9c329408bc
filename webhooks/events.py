"""Event names a project can subscribe to, and the payload every delivery carries."""

from __future__ import annotations

import json
from datetime import UTC

from django.utils import timezone

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


def webhook_event_for_status(status: str) -> str:
    """The event announcing that an upload reached `status` (an Upload.Status value)."""
    return "build.uploaded" if status == "pending" else f"build.{status}"


def webhook_payload(
    *,
    project_id: str,
    event: str,
    upload_id: str = "",
    file_url: str = "",
    status: str = "",
    objection: str = "",
) -> dict[str, object]:
    """A delivery's payload (stored on the row; `webhook_body` serialises it), timestamped now."""
    now = timezone.now().astimezone(UTC)
    return {
        "event": event,
        "projectId": project_id,
        "uploadId": upload_id,
        "fileUrl": file_url,
        "status": status,
        "objection": objection,
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def webhook_body(*, payload: dict[str, object]) -> bytes:
    """Compact JSON in the documented key order (a JSON column may reorder keys)."""
    ordered = {key: payload.get(key, "") for key in PAYLOAD_KEYS}
    return json.dumps(ordered, separators=(",", ":")).encode()
