"""The one format of a timestamp the APIs, webhooks and lifecycle events send: UTC,
milliseconds, `Z` (2026-02-01T10:15:00.000Z), as docs/api.md documents."""

from __future__ import annotations

from datetime import UTC, datetime


def rest_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
