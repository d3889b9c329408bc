"""The one way access ends: sessions (`user_sessions_end`, the one step every change that
ends access takes), a previous holder's access as a whole (`user_access_end`), passwords set
by an operator or changed by their holder, and a sign-in identity disconnected. Each writes in
its caller's transaction and is audited (accounts.hooks.IDENTITY_EVENT: apikeys' KeyEvent).
Who answers each hook point: docs/architecture.md, "The wiring" (from keyservice/wiring.py)."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from accounts.hooks import IdentityEvent, identity_event_record, user_access_ended
from accounts.models import User


def user_password_wipe(*, user: User) -> bool:
    """Make the password of `user` unusable (the rightful holder sets one through password
    reset). Returns False when it already was. Callers record it in their audit event."""
    if not user.has_usable_password():
        return False
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return True


def user_sessions_end(
    *,
    user: User,
    because: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> None:
    """The one step that ends sessions: every session of `user` ends at once (their session
    auth hash changes: User.session_epoch) and stays ended whatever is granted later (a
    reactivation, a new password: the hash of an old session never matches again). The
    session of `request`, when it is this user's, stays signed in. Recorded (`sessions_ended`,
    `because`, by `actor`) in the caller's transaction.

    Every change that ends access calls it: deactivation, an address change, an identity
    merge, a password set by an operator or changed by its holder, a sign-in identity
    disconnected."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    epoch, password = User.objects.values_list("session_epoch", "password").get(pk=user.pk)
    user.session_epoch, user.password = epoch, password
    current = getattr(request, "user", None) if request is not None else None
    kept = False
    if request is not None and isinstance(current, User) and current.pk == user.pk:
        current.session_epoch, current.password = epoch, password
        update_session_auth_hash(request, current)
        kept = True
    identity_event_record(
        kind=IdentityEvent.SESSIONS_ENDED,
        user=user,
        actor=actor,
        detail=f"all {'other ' if kept else ''}sessions: {because}",
    )


def user_access_end(
    *,
    user: User,
    because: str,
    actor: User | None = None,
    keep_identity: tuple[str, str] | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Everything a previous holder of `user`'s access may have kept stops working: the
    active API key is revoked, every session ends (but `request`'s own, when it is this
    user's), every sign-in identity but `keep_identity` (provider, uid) is detached. Each
    step is audited, with `because` as the reason. The caller wipes the password first
    (user_password_wipe) and runs this inside its transaction.

    Hook points it calls, in this order: accounts.hooks.ACCESS_END first (apikeys revokes the
    active key: apikeys.account_hooks.apikey_revoke_on_access_end), then IDENTITY_EVENT for
    the sessions ended and for each identity detached (apikeys records KeyEvents). Who
    answers each point: docs/architecture.md, "The wiring" (from keyservice/wiring.py)."""
    user_access_ended(user=user, actor=actor, because=because)
    user_sessions_end(user=user, because=because, actor=actor, request=request)
    others = SocialAccount.objects.filter(user=user)
    if keep_identity is not None:
        others = others.exclude(provider=keep_identity[0], uid=keep_identity[1])
    for other in others:
        identity_event_record(
            kind=IdentityEvent.SOCIAL_DETACHED,
            user=user,
            actor=actor,
            detail=f"{other.provider} identity {other.uid} detached: {because}",
        )
    others.delete()


@transaction.atomic
def user_password_set(
    *,
    user: User,
    password: str | None,
    actor: User | None,
    reason: str,
    request: HttpRequest | None = None,
) -> None:
    """Give `user` the password `password` (None: an unusable one, no password sign-in), as
    `actor` did (an operator in the admin, the directory import as the system, or the user
    themselves through allauth's change and reset pages) `reason` saying how. Recorded
    (`password_set`), and every session of the account ends (user_sessions_end), but
    `request`'s own when it is this user's: whoever knew the old password is signed out."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    what = "password made unusable" if password is None else "password set"
    identity_event_record(
        kind=IdentityEvent.PASSWORD_SET, user=user, actor=actor, detail=f"{what}: {reason}"
    )
    user_sessions_end(user=user, because=f"{what} ({reason})", actor=actor, request=request)


@transaction.atomic
def user_identity_disconnect(
    *, account: SocialAccount, actor: User | None, request: HttpRequest | None = None
) -> None:
    """Detach the sign-in identity `account` from its user (its holder on allauth's
    "Account connections" page, or an operator deleting it in the admin): it signs in to the
    account no more. Recorded (`identity_disconnected`, by `actor`), and every other session
    of the account ends (`request`'s own stays, when it is the user's), since a session may
    have come in through that identity."""
    user = account.user
    label = f"{account.provider} identity {account.uid}"
    SocialAccount.objects.filter(pk=account.pk).delete()
    identity_event_record(
        kind=IdentityEvent.IDENTITY_DISCONNECTED,
        user=user,
        actor=actor,
        detail=f"{label} disconnected",
    )
    user_sessions_end(
        user=user, because=f"the {label} was disconnected", actor=actor, request=request
    )
