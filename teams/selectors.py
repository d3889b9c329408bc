"""Reads about teams. The access rule lives here, once: `membership_find_granting` (which
membership gives a user a role on a project) and `access_resolve` (owner, that role, or none).
`project_access_for` (the ORM path) and the API's one-query hot path
(apikeys.verifier.credentials.credential_lookup, which compiles `membership_find_granting` into its
SQL) both decide access through them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_address_is_verified
from projects.models import Project
from teams.models import Invitation, Membership
from teams.refusals import InvitationRefusal


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


def membership_find_granting(
    *, user_id: Any, project_id: Any, project_owner_id: Any
) -> QuerySet[Membership]:
    """The membership that grants the user access to the project (at most one): the user's
    membership in the project owner's account whose access list holds the project, of an
    active user (a deactivated user is granted nothing, like their key is unknown).

    The one definition of that rule. The arguments are values (the ORM path,
    `project_access_for`) or SQL expressions naming the outer query's columns (the API's hot
    path compiles this queryset into its one query)."""
    return Membership.objects.filter(
        owner_id=project_owner_id,
        member_id=user_id,
        member__is_active=True,
        projects=project_id,
    )


def access_resolve(*, user_id: int, project_owner_id: int, member_role: str | None) -> Access:
    """The one access rule (docs/api.md, "Public API credentials").

    `member_role` is the role of the membership that grants the user access to the project
    (`membership_find_granting`), else None. Every surface, including the one-query hot
    path of the API, decides access through this function.
    """
    if project_owner_id == user_id:
        return Access.OWNER
    return Access(member_role) if member_role else Access.NONE


def project_access_for(*, user_id: int, project: Project) -> Access:
    """What the user may do with the project, resolved live: OWNER, FULL, READONLY or NONE."""
    role = None
    if project.owner_id != user_id:
        role = (
            membership_find_granting(
                user_id=user_id, project_id=project.pk, project_owner_id=project.owner_id
            )
            .values_list("role", flat=True)
            .first()
        )
    return access_resolve(user_id=user_id, project_owner_id=project.owner_id, member_role=role)


@dataclass(frozen=True)
class VisibleProject:
    project: Project
    access: Access


def project_list_visible(*, user: User) -> list[VisibleProject]:
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


def membership_list(*, owner: User) -> list[Membership]:
    return list(
        Membership.objects.filter(owner=owner)
        .select_related("member")
        .prefetch_related("projects")
        .order_by("member__email")
    )


def invitation_status(*, invitation: Invitation) -> str:
    """pending | expired | accepted | revoked."""
    if invitation.state == Invitation.State.PENDING and invitation.expires_at <= timezone.now():
        return "expired"
    return invitation.state


def invitation_refusal_for(
    *, invitation: Invitation, user: User | None
) -> InvitationRefusal | None:
    """Why `user` may not accept `invitation` now, or None when they may: the invitation is
    no longer pending (EXPIRED, ACCEPTED, REVOKED), it is the user's own (OWN), or the user
    has not verified the invited address (EMAIL_MISMATCH: the same canonical form,
    accounts.addresses, compared exactly). `user` None (not signed in): its status only.

    The one decision: the invitation page shows it, invitation_accept enforces it (under the
    invitation's row lock)."""
    status = invitation_status(invitation=invitation)
    if status != "pending":
        return InvitationRefusal(status)
    if user is None:
        return None
    if user.pk == invitation.owner_id:
        return InvitationRefusal.OWN
    if not user_address_is_verified(user=user, email=invitation.email):
        return InvitationRefusal.EMAIL_MISMATCH
    return None


def invitation_list_pending(*, owner: User) -> list[Invitation]:
    """The owner's invitations still worth showing: pending ones (expired included, so the
    owner can resend them)."""
    rows = list(
        Invitation.objects.filter(owner=owner, state=Invitation.State.PENDING)
        .prefetch_related("projects")
        .order_by("-created_at")
    )
    for row in rows:
        # For the template (teams/team.html) only; not a field, so the model does not declare it.
        row.status = invitation_status(invitation=row)  # type: ignore[attr-defined]
    return rows


@dataclass(frozen=True)
class Reach:
    """One person who reaches one of an account's projects, and with what access."""

    project_id: int
    user: User
    access: Access


def account_reach_list(*, owner: User, projects: list[Project] | None = None) -> list[Reach]:
    """Who reaches each of `owner`'s projects (`projects`, when the caller has them), decided
    by the one access rule: the owner (access_resolve), and each member whose membership
    `membership_find_granting` finds, in one query for the whole account (the rule compiled
    into it, as on the API's hot path)."""
    if projects is None:
        projects = list(Project.objects.filter(owner=owner))
    reach = [
        Reach(
            project_id=p.pk,
            user=owner,
            access=access_resolve(user_id=owner.pk, project_owner_id=p.owner_id, member_role=None),
        )
        for p in projects
        if p.owner_id == owner.pk
    ]
    through = Membership.projects.through
    grants = (
        through.objects.filter(project__owner=owner)
        .filter(
            Exists(
                membership_find_granting(
                    user_id=OuterRef("membership__member_id"),
                    project_id=OuterRef("project_id"),
                    project_owner_id=OuterRef("project__owner_id"),
                )
            )
        )
        .select_related("membership__member")
        .order_by("membership__member__email")
    )
    for grant in grants:
        member = grant.membership.member
        access = access_resolve(
            user_id=member.pk, project_owner_id=owner.pk, member_role=grant.membership.role
        )
        reach.append(Reach(project_id=grant.project_id, user=member, access=access))
    return reach
