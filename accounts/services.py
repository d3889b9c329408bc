"""Writes for users and projects, including every identity change (each one audited)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from accounts.models import Project, User
from apikeys.audit import keyevent_create
from apikeys.models import ApiKey, KeyEvent
from apikeys.services import apikey_revoke


def user_create_or_update(
    *,
    user: User | None,
    email: str,
    name: str | None = None,
    public_id: str | None = None,
    password: str | None = None,
) -> tuple[User, bool, bool]:
    """Create a user (keeping a given userId) or update `user`'s email case, name, password.

    Returns (user, created, changed). A password is re-hashed only when it differs.
    """
    if user is None:
        extra = {"public_id": public_id} if public_id else {}
        user = User.objects.create_user(email, password, name=name or "", **extra)
        # An imported directory comes from a platform that verified these addresses: record
        # that, so a later Google sign-in as the same address joins this account (and keeps
        # its password) instead of being treated as an unproven claim.
        user_vouched_address_record(user=user)
        return user, True, True
    changed = []
    if name is not None and user.name != name:
        user.name = name
        changed.append("name")
    if password is not None and not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    if user.email != email:
        user_email_change(user=user, email=email, actor=None, reason="directory import")
        changed.append("email")
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
    *, user: User, email: str, actor: User | None, reason: str = "changed by an operator"
) -> User:
    """Change the address a user is known by, made by an operator (admin, directory import).

    The old address goes entirely: every EmailAddress row of the user is removed and the new
    address becomes the only one, verified and primary. So whoever later holds the old
    address cannot sign in to this account with it (email authentication matches only
    verified rows), and invitations to the new address can be accepted. Audited as
    `email_changed`. Raises ValidationError when another account holds the address.
    """
    email = User.objects.normalize_email(email).strip().lower()
    old = User.objects.select_for_update().values_list("email", flat=True).get(pk=user.pk)
    if not email:
        raise ValidationError({"email": "An email address is required."})
    elsewhere = EmailAddress.objects.filter(email__iexact=email).exclude(user=user)
    if (
        User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
        or elsewhere.filter(verified=True).exists()
    ):
        raise ValidationError({"email": "Another account already uses that address."})
    elsewhere.delete()  # unproven claims of the address by other accounts
    user.email = email
    user.save(update_fields=["email"])
    EmailAddress.objects.filter(user=user).delete()
    user_vouched_address_record(user=user)
    if old != email:
        keyevent_create(
            kind=KeyEvent.Kind.EMAIL_CHANGED,
            user=user,
            actor=actor,
            detail=f"{reason}: {old} -> {email}",
        )
    return user


def user_sessions_end(*, user: User, request: HttpRequest | None = None) -> None:
    """End every session of `user` at once (their session auth hash changes); the session of
    `request`, when it is this user's, stays signed in."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.session_epoch = User.objects.values_list("session_epoch", flat=True).get(pk=user.pk)
    current = getattr(request, "user", None) if request is not None else None
    if current is not None and current.is_authenticated and current.pk == user.pk:
        current.session_epoch = user.session_epoch
        update_session_auth_hash(request, current)


@transaction.atomic
def user_identity_merge(
    *, user: User, provider: str, uid: str, request: HttpRequest | None = None
) -> None:
    """A sign-in identity (provider, uid) is about to join the existing account `user`
    (email authentication or connecting): everything a previous holder of the account's
    access may have kept stops working. The active API key is revoked, every other session
    ends, every other sign-in identity is detached; each step is audited.

    Called from the social account adapter's pre_social_login, before the identity is saved.
    """
    label = f"{provider} identity {uid}"
    keyevent_create(kind=KeyEvent.Kind.IDENTITY_MERGED, user=user, detail=f"{label} joined")
    for key in ApiKey.objects.filter(user=user, revoked_at__isnull=True):
        apikey_revoke(api_key=key, detail=f"revoked: the {label} joined this account")
    user_sessions_end(user=user, request=request)
    keyevent_create(
        kind=KeyEvent.Kind.SESSIONS_ENDED, user=user, detail=f"all other sessions: {label} joined"
    )
    others = SocialAccount.objects.filter(user=user).exclude(provider=provider, uid=uid)
    for other in others:
        keyevent_create(
            kind=KeyEvent.Kind.SOCIAL_DETACHED,
            user=user,
            detail=f"{other.provider} identity {other.uid} detached: {label} joined",
        )
    others.delete()


def user_is_inert(*, user: User) -> bool:
    """Whether the account holds nothing: no key ever, no project, no membership, no staff."""
    from teams.models import Membership

    return not (
        user.is_staff
        or user.is_superuser
        or ApiKey.objects.filter(user=user).exists()
        or Project.objects.filter(owner=user).exists()
        or Membership.objects.filter(member=user).exists()
        or Membership.objects.filter(owner=user).exists()
    )


@transaction.atomic
def user_unproven_remove(*, user: User, proven_by: str) -> bool:
    """Delete an account whose address was never verified and that holds nothing, because
    the address was just proven by someone else (`proven_by`, e.g. "google identity 123").

    This is how a pre-registered (squatted) address returns to its owner: the squatter's
    account could never sign in or request a key (accounts.backends), and now it is gone.
    Returns False (nothing done) for an account that is verified or holds anything.
    """
    from accounts.selectors import user_email_is_verified

    user = User.objects.select_for_update().get(pk=user.pk)
    if user_email_is_verified(user=user) or not user_is_inert(user=user):
        return False
    keyevent_create(
        kind=KeyEvent.Kind.UNPROVEN_REMOVED,
        user=user,
        detail=f"unverified account removed: {proven_by} proved {user.email}",
    )
    user.delete()
    return True


def project_create_or_update(
    *, project: Project | None, owner: User, name: str | None, public_id: str | None = None
) -> tuple[Project, bool, bool]:
    """Create a project for `owner` (keeping a given projectId) or rename `project`.

    Returns (project, created, changed).
    """
    if project is None:
        extra = {"public_id": public_id} if public_id else {}
        return Project.objects.create(owner=owner, name=name, **extra), True, True
    if name is None or project.name == name:
        return project, False, False
    project.name = name
    project.save(update_fields=["name", "updated_at"])
    return project, False, True


def project_rename(*, project: Project, name: str) -> Project:
    project.name = name.strip()
    project.save(update_fields=["name", "updated_at"])
    return project
