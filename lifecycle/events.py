"""The lifecycle events, their reasons, and the payload every delivery carries.

A payload names things by their public ids and a key by its hint, never by anything secret:
`data` holds only the fields EVENT_FIELDS lists for the event, each a string, a list of
strings, or null.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from django.utils import timezone

from core.timestamps import rest_timestamp


class LifecycleEvent(StrEnum):
    KEY_ISSUED = "key.issued"
    KEY_REVOKED = "key.revoked"
    # A replaced key keeps working until data.workingUntil (the optional overlap on renewal);
    # `key.revoked` (reason `rotated`, or why it ended early) follows when it stops.
    KEY_RETIRING = "key.retiring"
    MEMBERSHIP_CHANGED = "membership.changed"
    PROJECT_DISABLED = "project.disabled"
    USER_DEACTIVATED = "user.deactivated"


class KeyRevokeReason(StrEnum):
    """Why a key stopped working (`key.revoked` data.reason)."""

    # Its owner requested a new key (apikeys.services.apikey_issue), or the overlap that kept
    # it working after that request ended (apikeys.revocation).
    ROTATED = "rotated"
    REVOKED_BY_OWNER = "revoked_by_owner"  # the owner revoked it, keeping none
    REVOKED_BY_OPERATOR = "revoked_by_operator"  # an operator revoked it (the admin action)
    LEAKED = "leaked"  # reported leaked (apikeys.leaks.services)
    EXPIRED = "expired"  # it reached its expiry
    # The account's access ended (address changed, an identity joined: accounts'
    # user_access_end); the account requests a new key.
    ACCESS_ENDED = "access_ended"
    # The account was deactivated and its key revoked with it. (Today deactivation keeps the
    # key row, which verify then treats as unknown: `user.deactivated` announces it.)
    DEACTIVATED = "deactivated"


class MembershipChange(StrEnum):
    """What changed in a membership (`membership.changed` data.changes, one or more)."""

    ADDED = "added"  # the membership was created
    ROLE = "role"  # its role changed
    ACCESS = "access"  # its list of projects changed
    REMOVED = "removed"  # it was removed (data.role and data.projectIds are null)


class EndReason(StrEnum):
    """How a project or an account ended (`project.disabled` / `user.deactivated` reason)."""

    DISABLED = "disabled"  # the project's status became inactive
    DEACTIVATED = "deactivated"  # the account's is_active became false
    DELETED = "deleted"  # the row was deleted (with everything it held)


EVENT_FIELDS: dict[LifecycleEvent, tuple[str, ...]] = {
    LifecycleEvent.KEY_ISSUED: ("userId", "keyHint"),
    LifecycleEvent.KEY_REVOKED: ("userId", "keyHint", "reason"),
    LifecycleEvent.KEY_RETIRING: ("userId", "keyHint", "workingUntil"),
    LifecycleEvent.MEMBERSHIP_CHANGED: ("ownerId", "memberId", "role", "projectIds", "changes"),
    LifecycleEvent.PROJECT_DISABLED: ("projectId", "ownerId", "reason"),
    LifecycleEvent.USER_DEACTIVATED: ("userId", "reason"),
}
PAYLOAD_KEYS: tuple[str, ...] = ("event", "eventId", "occurredAt", "data")

DataValue = str | Sequence[str] | None


def lifecycle_payload(
    *,
    event: LifecycleEvent,
    event_id: str,
    data: Mapping[str, DataValue],
    now: datetime | None = None,
) -> dict[str, object]:
    """The payload of one event (the same for every subscriber). ValueError when `data` has
    other fields than EVENT_FIELDS[event], or a value that is not a string, a list of strings
    or null."""
    expected = EVENT_FIELDS[LifecycleEvent(event)]
    if set(data) != set(expected):
        raise ValueError(f"{event} carries exactly {', '.join(expected)}")
    ordered: dict[str, object] = {}
    for name in expected:
        value = data[name]
        if isinstance(value, str) or value is None:
            ordered[name] = value if value is None else str(value)
        elif isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
            ordered[name] = [str(v) for v in value]
        else:
            raise ValueError(f"{event} {name}: a string, a list of strings or null")
    return {
        "event": str(event),
        "eventId": event_id,
        "occurredAt": rest_timestamp(now or timezone.now()),
        "data": ordered,
    }


def lifecycle_body(*, payload: Mapping[str, object]) -> bytes:
    """Compact JSON in the documented key order (a JSON column may reorder keys), the same
    bytes on every attempt."""
    event = LifecycleEvent(str(payload["event"]))
    stored = payload.get("data")
    data = stored if isinstance(stored, Mapping) else {}
    ordered = {key: payload.get(key) for key in PAYLOAD_KEYS}
    ordered["data"] = {name: data.get(name) for name in EVENT_FIELDS[event]}
    return json.dumps(ordered, separators=(",", ":")).encode()
