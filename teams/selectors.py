"""Reads about teams. `project_access_for` is the one place that decides access."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accounts.models import User
from projects.models import Project
from teams.models import Membership


class Access(StrEnum):
    OWNER = "OWNER"
    FULL = "FULL"
    READONLY = "READONLY"
    NONE = "NONE"

    @property
    def can_read(self) -> bool:
        return self is not Access.NONE

    @property
    def can_write(self) -> bool:
        return self in (Access.OWNER, Access.FULL)


def access_rule(*, user_id: int, project_owner_id: int, member_role: str | None) -> Access:
    """The one access rule (PRODUCT.md, "Access a key grants").

    `member_role` is the role of the user's membership in the project owner's account *if*
    that membership's access list holds the project, else None. Every surface, including the
    one-query hot path of the API, decides access through this function.
    """
    if project_owner_id == user_id:
        return Access.OWNER
    return Access(member_role) if member_role else Access.NONE


def project_access_for(*, user_id: int, project: Project) -> Access:
    """What the user may do with the project, resolved live: OWNER, FULL, READONLY or NONE."""
    role = None
    if project.owner_id != user_id:
        role = (
            Membership.objects.filter(
                owner_id=project.owner_id, member_id=user_id, projects=project
            )
            .values_list("role", flat=True)
            .first()
        )
    return access_rule(user_id=user_id, project_owner_id=project.owner_id, member_role=role)


@dataclass(frozen=True)
class VisibleProject:
    project: Project
    access: Access


def projects_visible_to(*, user: User) -> list[VisibleProject]:
    """Every project the user can reach: owned ones first, then shared ones, with the role."""
    owned = [VisibleProject(p, Access.OWNER) for p in Project.objects.filter(owner=user)]
    shared = [
        VisibleProject(project, Access(membership.role))
        for membership in Membership.objects.filter(member=user)
        .select_related("owner")
        .prefetch_related("projects")
        for project in membership.projects.all()
    ]
    shared.sort(key=lambda v: (v.project.name.lower(), v.project.public_id))
    return owned + shared


def memberships_of(*, owner: User) -> list[Membership]:
    return list(
        Membership.objects.filter(owner=owner)
        .select_related("member")
        .prefetch_related("projects")
        .order_by("member__email")
    )


def team_invitations_of(*, owner: User) -> list:
    """The owner's invitations still worth showing: pending ones (expired included, so the
    owner can resend them)."""
    from teams.invitations import invitation_status
    from teams.models import Invitation

    rows = list(
        Invitation.objects.filter(owner=owner, state=Invitation.State.PENDING)
        .prefetch_related("projects")
        .order_by("-created_at")
    )
    for row in rows:
        row.status = invitation_status(invitation=row)
    return rows
