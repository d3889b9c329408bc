"""Writes for projects."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from core.errors import ApplicationError
from lifecycle.events import EndReason
from lifecycle.services import lifecycle_project_disabled
from projects.domains import custom_domain_clean
from projects.models import Project


class ProjectRefusal(StrEnum):
    """Why a project service refused (core.errors.ApplicationError.reason)."""

    INVALID_SETTINGS = "invalid_settings"  # `fields` names region / customDomain


def project_create_or_update(
    *, project: Project | None, owner: User, name: str | None, public_id: str | None = None
) -> tuple[Project, bool, bool]:
    """Create a project for `owner` (keeping a given projectId) or rename `project`.

    Returns (project, created, changed).

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    if project is None:
        if name is None:  # teams.directory_check requires a name for a new project
            raise ValueError("A new project needs a name.")
        extra = {"public_id": public_id} if public_id else {}
        return Project.objects.create(owner=owner, name=name, **extra), True, True
    if name is None or project.name == name:
        return project, False, False
    project.name = name
    project.save(update_fields=["name", "updated_at"])
    return project, False, True


def project_rename(*, project: Project, name: str) -> Project:
    """Give the project a new name (stripped); its `updated_at` moves on.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    project.name = name.strip()
    project.save(update_fields=["name", "updated_at"])
    return project


def project_touch(*, project: Project) -> Project:
    """Record a change of something the project holds (its webhook settings): its
    `updated_at` (the API's updatedAt) moves on.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    project.save(update_fields=["updated_at"])
    return project


def project_settings_update(*, project: Project, region: str, custom_domain: str | None) -> Project:
    """Set the project's region (one of Project.Region) and custom domain (a hostname,
    projects.domains; empty or None for none, stored as ""), validated: INVALID_SETTINGS
    names the fields at fault (`region`, `customDomain`, as the API calls them) and changes
    nothing.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    errors: dict[str, str] = {}
    if region not in Project.Region.values:
        errors["region"] = f"Choose one of: {', '.join(Project.Region.values)}."
    try:
        domain = custom_domain_clean(custom_domain)
    except ValidationError as exc:
        errors["customDomain"] = " ".join(exc.messages)
    if errors:
        message = " ".join(errors.values())
        raise ApplicationError(ProjectRefusal.INVALID_SETTINGS, message, fields=errors)
    if (project.region, project.custom_domain) != (region, domain):
        project.region, project.custom_domain = region, domain
        project.save(update_fields=["region", "custom_domain", "updated_at"])
    return project


@transaction.atomic
def project_status_set(*, project: Project, status: str) -> bool:
    """Set the project's status (Project.Status); returns False when it already had it.
    Disabling (active → inactive) announces `project.disabled` to the lifecycle subscribers.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    status = Project.Status(status)
    updated = Project.objects.filter(pk=project.pk).exclude(status=status).update(status=status)
    project.status = status
    if updated and status == Project.Status.INACTIVE:
        lifecycle_project_disabled(
            project_public_id=project.public_id,
            owner_public_id=project.owner.public_id,
            reason=EndReason.DISABLED,
        )
    return bool(updated)


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Delete the project (its memberships' access to it, its webhook and builds go with it),
    announcing `project.disabled` (reason `deleted`) in the same transaction.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    lifecycle_project_disabled(
        project_public_id=project.public_id,
        owner_public_id=project.owner.public_id,
        reason=EndReason.DELETED,
    )
    project.delete()


def project_on_owner_deactivated(*, user: User, actor: User | None, deleted: bool) -> None:
    """accounts.hooks.USER_DEACTIVATED: an owner's deletion deletes their projects (the
    database cascades), so each is announced as `project.disabled` (reason `deleted`) — the
    members of that account lose them. A deactivation keeps them: `user.deactivated` says it."""
    if not deleted:
        return
    for public_id in Project.objects.filter(owner=user).values_list("public_id", flat=True):
        lifecycle_project_disabled(
            project_public_id=public_id, owner_public_id=user.public_id, reason=EndReason.DELETED
        )
