"""Why a key service refused (core.errors.ApplicationError.reason): the dashboard turns each
into its message."""

from __future__ import annotations

from enum import StrEnum


class KeyRefusal(StrEnum):
    # The dashboard request (its one-time nonce) has issued a key already.
    REQUEST_ALREADY_HANDLED = "request_already_handled"
    # A lifetime that is not offered, e.g. above KEYSERVICE_KEY_MAX_LIFETIME_DAYS.
    LIFETIME_NOT_ALLOWED = "lifetime_not_allowed"
    # An overlap on renewal that is not offered (above KEYSERVICE_KEY_OVERLAP_MAX_SECONDS).
    OVERLAP_NOT_ALLOWED = "overlap_not_allowed"
    # Revoking without replacing, but the user has no active (unrevoked, unexpired) key.
    NO_ACTIVE_KEY = "no_active_key"
