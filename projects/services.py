"""Writes for projects."""

from __future__ import annotations

from accounts.models import User
from projects.models import Project


def project_create_or_update(
    *, project: Project | None, owner: User, name: str | None, public_id: str | None = None
) -> tuple[Project, bool, bool]:
    """Create a project for `owner` (keeping a given projectId) or rename `project`.

    Returns (project, created, changed).
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
    project.name = name.strip()
    project.save(update_fields=["name", "updated_at"])
    return project


def project_touch(*, project: Project) -> Project:
    """Record a change of something the project holds (its webhook settings): its
    `updated_at` (the API's updatedAt) moves on."""
    project.save(update_fields=["updated_at"])
    return project
