"""The one style of domain error: an `ApplicationError` with a reason and a message.

A service that refuses an operation raises an ApplicationError whose `reason` is a member of
a StrEnum the raising app defines, naming *why* in a stable, machine-readable way, and whose
`message` says it for a person. `fields` names the inputs at fault (input name → message)
when there are any; `retry_after` (seconds) when the refusal is a budget that refills.

    class InvitationRefusal(StrEnum):
        EXPIRED = "expired"

    raise ApplicationError(InvitationRefusal.EXPIRED, "This invitation has expired.")

Each edge maps it once: the API's exception handler (api/errors.py: reason → status, the
contract's message), the dashboard's pages (`form_add_application_error` below, or the
message shown as it is), management commands (CommandError with the message).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from django.forms import BaseForm


class ApplicationError(Exception):
    """A domain rule refused the operation: `reason` (the raising app's StrEnum member) says
    why for code, `message` says it for a person."""

    def __init__(
        self,
        reason: StrEnum,
        message: str,
        *,
        fields: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason!r}, {self.message!r})"


def form_add_application_error(
    form: BaseForm, error: ApplicationError, *, names: Mapping[str, str] | None = None
) -> None:
    """Show a refusal on the form it came from: each of `error.fields` on its field (renamed
    through `names`, e.g. the API's "webhookUrl" → the form's "webhook_url"; a name the form
    does not have goes to the top), else the message at the top of the form."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for name, message in error.fields.items():
        field = (names or {}).get(name, name)
        form.add_error(field if field in form.fields else None, message)
