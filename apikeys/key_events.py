"""The one way key events (KeyEvent: key, identity and service token events) are made: each
carries a snapshot of whom it is about. The team audit trail is another app's (audit).

KeyEvent.user empties when the user is deleted; `user_email` and `user_public_id` keep who
it was. Every writer of KeyEvent rows goes through `keyevent_new` / `keyevent_create`, or
`keyevent_token_create` for a service token's (the token's name and hint in `detail`).
"""

from __future__ import annotations

from accounts.models import User
from apikeys.models import ApiKey, KeyEvent, ServiceToken


def keyevent_new(
    *,
    kind: str,
    user: User,
    key: ApiKey | None = None,
    key_id: int | None = None,
    actor: User | None = None,
    detail: str = "",
) -> KeyEvent:
    """An unsaved event (for bulk_create), with the snapshot of `user` filled in."""
    of_key: dict[str, ApiKey | int | None] = {"key": key} if key is not None else {"key_id": key_id}
    return KeyEvent(
        kind=kind,
        **of_key,
        user=user,
        user_email=user.email,
        user_public_id=user.public_id,
        actor=actor,
        detail=detail[:255],
    )


def keyevent_create(
    *,
    kind: str,
    user: User,
    key: ApiKey | None = None,
    actor: User | None = None,
    detail: str = "",
) -> KeyEvent:
    event = keyevent_new(kind=kind, user=user, key=key, actor=actor, detail=detail)
    event.save()
    return event


def keyevent_token_create(
    *, kind: str, service_token: ServiceToken, actor: User | None, detail: str
) -> KeyEvent:
    """Record `kind` about `service_token` (no user: a token belongs to no account), by `actor`
    (an operator; None: the system, e.g. a management command)."""
    return KeyEvent.objects.create(
        kind=kind,
        service_token=service_token,
        actor=actor,
        detail=f"{service_token.name} ({service_token.hint}): {detail}"[:255],
    )
