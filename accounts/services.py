"""Writes for users, including every identity change (each one audited).

The apps above accounts take part through accounts.hooks: each service says which points it
calls; who answers each point is on docs/architecture.md, "The wiring" (keyservice/wiring.py)."""

from __future__ import annotations

from enum import StrEnum

from allauth.account.models import EmailAddress
from django.db import transaction
from django.http import HttpRequest

from accounts.access import (
    user_access_end,
    user_password_set,
    user_password_wipe,
    user_sessions_end,
)
from accounts.addresses import UnusableEmailAddress, email_canonical
from accounts.hooks import (
    IdentityEvent,
    identity_event_record,
    user_deactivated,
    user_holds_anything,
)
from accounts.models import User
from accounts.selectors import user_email_held_elsewhere, user_email_is_verified
from core.errors import ApplicationError

EMAIL_HELD_ELSEWHERE = "Another account already uses that address."


class UserRefusal(StrEnum):
    """Why a user service refused (core.errors.ApplicationError.reason)."""

    EMAIL_REQUIRED = "email_required"
    EMAIL_UNUSABLE = "email_unusable"  # no canonical form (accounts.addresses)
    EMAIL_HELD_ELSEWHERE = "email_held_elsewhere"


WIPE_NOTE = " (password made unusable)"  # noted in the audit event of the change


def user_create_or_update(
    *,
    user: User | None,
    email: str,
    name: str | None = None,
    public_id: str | None = None,
    password: str | None = None,
) -> tuple[User, bool, bool]:
    """Create a user (keeping a given userId) or update `user`'s email, name, password.

    Returns (user, created, changed). A password is re-hashed only when it differs, through
    user_password_set (audited; the account's sessions end). A new address (another canonical
    form: accounts.addresses) goes through user_email_change (the old holder's access ends).

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    if user is None:
        extra = {"public_id": public_id} if public_id else {}
        user = User.objects.create_user(email, password, name=name or "", **extra)
        # An imported directory comes from a platform that verified these addresses: record
        # that, so a later Google sign-in as the same address joins this account (and keeps
        # its password) instead of being treated as an unproven claim.
        user_vouched_address_record(user=user)
        if password is not None:
            identity_event_record(
                kind=IdentityEvent.PASSWORD_SET,
                user=user,
                detail="password set by the directory import (new account)",
            )
        return user, True, True
    changed = []
    if user.email != email_canonical(email):
        # First: a new address ends the old holder's access (and password); a password the
        # file gives is then the new holder's.
        user_email_change(user=user, email=email, actor=None, reason="directory import")
        changed.append("email")
    if name is not None and user.name != name:
        user.name = name
        user.save(update_fields=["name"])
        changed.append("name")
    if password is not None and not user.check_password(password):
        # An operator's new password: audited, and every session of the account ends.
        user_password_set(user=user, password=password, actor=None, reason="directory import")
        changed.append("password")
    return user, False, bool(changed)


def user_vouched_address_record(*, user: User) -> EmailAddress:
    """Record user.email as verified and primary: an operator vouches for it (directory
    import, the admin's add form)."""
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return address


@transaction.atomic
def user_email_change(
    *,
    user: User,
    email: str,
    actor: User | None,
    reason: str = "changed by an operator",
    request: HttpRequest | None = None,
) -> User:
    """Change the address a user is known by, made by an operator (admin, directory import).

    The old address goes entirely: every EmailAddress row of the user is removed and the new
    address becomes the only one, verified and primary. So whoever later holds the old
    address cannot sign in to this account with it (email authentication matches only
    verified rows), and invitations to the new address can be accepted.

    A new address is an identity change: the account may have changed hands, so whoever held
    it under the old address loses every way in (user_access_end: password made unusable,
    active API key revoked, every session ended, every sign-in identity detached), all in
    this one transaction and audited (`email_changed` first). The new holder sets a password
    through password reset or signs in with Google, and requests a new key. Addresses are
    compared in their canonical form (accounts.addresses): a change of ASCII case only (or the
    same address) is no identity change and changes nothing; a look-alike (`vıctim@…`,
    `…@gmaıl.com`) is a new address. `request` (the operator's) keeps its own session when
    operators change their own address. Raises ApplicationError (UserRefusal, field `email`)
    when another account holds the address, none is given, or it has no canonical form.
    """
    old = User.objects.select_for_update().values_list("email", flat=True).get(pk=user.pk)
    if not email.strip():
        message = "An email address is required."
        raise ApplicationError(UserRefusal.EMAIL_REQUIRED, message, fields={"email": message})
    try:
        email = email_canonical(email)
    except UnusableEmailAddress as exc:
        message = str(exc)
        raise ApplicationError(
            UserRefusal.EMAIL_UNUSABLE, message, fields={"email": message}
        ) from None
    if old == email:  # stored canonical (User.save): the same address
        user.email = email
        return user
    if user_email_held_elsewhere(email=email, user_pk=user.pk):
        raise ApplicationError(
            UserRefusal.EMAIL_HELD_ELSEWHERE,
            EMAIL_HELD_ELSEWHERE,
            fields={"email": EMAIL_HELD_ELSEWHERE},
        )
    # unproven claims of the address by other accounts
    EmailAddress.objects.filter(email=email).exclude(user=user).delete()
    user.email = email
    user.save(update_fields=["email"])
    EmailAddress.objects.filter(user=user).delete()
    user_vouched_address_record(user=user)
    wiped = user_password_wipe(user=user)
    identity_event_record(
        kind=IdentityEvent.EMAIL_CHANGED,
        user=user,
        actor=actor,
        detail=f"{reason}{WIPE_NOTE if wiped else ''}: {old} -> {email}",
    )
    user_access_end(
        user=user,
        actor=actor,
        because=f"address changed from {old}",
        request=request,
    )
    return user


@transaction.atomic
def user_identity_merge(
    *, user: User, provider: str, uid: str, request: HttpRequest | None = None
) -> None:
    """A sign-in identity (provider, uid) is about to join the existing account `user`
    (email authentication or connecting): everything a previous holder of the account's
    access may have kept stops working. The password is made unusable (whoever set it may be
    a squatter whose sign-up the owner confirmed, or an operator who created the account;
    the owner sets a new one through password reset), the active API key is revoked, every
    other session ends, every other sign-in identity is detached; each step is audited
    (accounts.hooks: IDENTITY_EVENT, then user_access_end's ACCESS_END and IDENTITY_EVENT).

    Called from the social account adapter's pre_social_login, before the identity is saved.
    `user` is the very object allauth then signs in, so its new password hash and session
    epoch are what the new session records.
    """
    label = f"{provider} identity {uid}"
    wiped = user_password_wipe(user=user)
    identity_event_record(
        kind=IdentityEvent.IDENTITY_MERGED,
        user=user,
        detail=f"{label} joined{WIPE_NOTE if wiped else ''}",
    )
    user_access_end(
        user=user, because=f"the {label} joined", keep_identity=(provider, uid), request=request
    )


@transaction.atomic
def user_active_set(
    *, user: User, active: bool, actor: User | None = None, reason: str = "by an operator"
) -> bool:
    """Activate or deactivate `user` (User.is_active); returns False when it already was.

    A deactivated account cannot sign in, and its key is an unknown key on the next request
    (docs/keys.md; the key row is kept, so reactivating brings it back). Deactivating ends
    every session of the account (user_sessions_end: they stay ended after a reactivation,
    which needs a new sign-in) and tells the apps (accounts.hooks.USER_DEACTIVATED: projects,
    teams, then lifecycle's `user.deactivated`). Either change is recorded (IDENTITY_EVENT:
    `user_deactivated`, `user_reactivated`, by `actor`, `reason` saying how), all in this
    transaction. Who answers each point: docs/architecture.md, "The wiring".

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    updated = User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active)
    user.is_active = active
    if not updated:
        return False
    identity_event_record(
        kind=IdentityEvent.REACTIVATED if active else IdentityEvent.DEACTIVATED,
        user=user,
        actor=actor,
        detail=f"account {'reactivated' if active else 'deactivated'} {reason}",
    )
    if not active:
        user_sessions_end(user=user, because="account deactivated", actor=actor)
        user_deactivated(user=user, actor=actor, deleted=False)
    return True


@transaction.atomic
def user_delete(*, user: User, actor: User | None = None) -> None:
    """Delete `user` with everything the account holds (keys, projects, memberships: the
    database cascades), telling the apps first (accounts.hooks.USER_DEACTIVATED, `deleted`:
    projects announce the owner's projects, teams keep FormerMembership rows, lifecycle sends
    `user.deactivated`; docs/architecture.md, "The wiring").

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    user_deactivated(user=user, actor=actor, deleted=True)
    user.delete()


def user_is_inert(*, user: User) -> bool:
    """Whether the account holds nothing: no key ever, no project, no membership, no staff.
    Keys, projects and memberships are asked of the apps (accounts.hooks.USER_HOLDINGS: who
    answers is on docs/architecture.md, "The wiring")."""
    return not (user.is_staff or user.is_superuser or user_holds_anything(user=user))


@transaction.atomic
def user_unproven_remove(*, user: User, proven_by: str) -> bool:
    """Delete an account whose address was never verified and that holds nothing, because
    the address was just proven by someone else (`proven_by`, e.g. "google identity 123").

    This is how a pre-registered (squatted) address returns to its owner: the squatter's
    account could never sign in or request a key (accounts.backends), and now it is gone.
    Asks accounts.hooks.USER_HOLDINGS (user_is_inert), records IDENTITY_EVENT.
    Returns False (nothing done) for an account that is verified or holds anything.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user_email_is_verified(user=user) or not user_is_inert(user=user):
        return False
    identity_event_record(
        kind=IdentityEvent.UNPROVEN_REMOVED,
        user=user,
        detail=f"unverified account removed: {proven_by} proved {user.email}",
    )
    user.delete()
    return True
