"""Reads for projects (who may reach one is teams.selectors.project_access_for)."""

from __future__ import annotations

from django.db.models.functions import Lower

from accounts.models import User
from projects.models import Project


def project_find(*, public_id: str) -> Project | None:
    """The project with this projectId, if any (no access check)."""
    return Project.objects.filter(public_id=public_id).first()


def project_held_by(*, user: User) -> bool:
    """Whether `user` owns a project: the projects app's accounts.hooks.USER_HOLDINGS hook."""
    return Project.objects.filter(owner=user).exists()


def project_list_owned(*, owner: User) -> list[Project]:
    """The owner's projects, by name."""
    return list(Project.objects.filter(owner=owner).order_by(Lower("name"), "public_id"))
