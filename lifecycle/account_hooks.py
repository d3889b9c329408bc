"""What lifecycle does at accounts' USER_DEACTIVATED point (accounts.hooks), registered by
keyservice.wiring: the account's deactivation or deletion becomes `user.deactivated`."""

from __future__ import annotations

from accounts.models import User
from lifecycle.events import EndReason
from lifecycle.services import lifecycle_user_deactivated


def lifecycle_on_user_deactivated(*, user: User, actor: User | None, deleted: bool) -> None:
    reason = EndReason.DELETED if deleted else EndReason.DEACTIVATED
    lifecycle_user_deactivated(user_public_id=user.public_id, reason=reason)
