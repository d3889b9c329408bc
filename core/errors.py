"""The one style of domain error: an `ApplicationError` with a reason and a message.

A service that refuses an operation raises an ApplicationError (or a subclass of its own)
whose `reason` is a member of a StrEnum the raising app defines, naming *why* in a stable,
machine-readable way, and whose `message` says it for a person. Callers branch on `reason`
(e.g. the API maps it to a status and error body once); they show `message` as it is.

    class InvitationRefusal(StrEnum):
        EXPIRED = "expired"

    raise ApplicationError(InvitationRefusal.EXPIRED, "This invitation has expired.")
"""

from __future__ import annotations

from enum import StrEnum


class ApplicationError(Exception):
    """A domain rule refused the operation: `reason` (the raising app's StrEnum member) says
    why for code, `message` says it for a person."""

    def __init__(self, reason: StrEnum, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason!r}, {self.message!r})"
