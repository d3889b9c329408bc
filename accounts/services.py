"""Writes for users and projects."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from accounts.models import Project, User


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
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        return user, True, True
    changed = []
    if user.email != email:
        user.email = email
        changed.append("email")
    if name is not None and user.name != name:
        user.name = name
        changed.append("name")
    if password is not None and not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    return user, False, bool(changed)


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
