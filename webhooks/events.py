"""Event names a project can subscribe to, and the payload every delivery carries."""

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
