"""Writes for teams: add or change a member's role and access list, remove a member."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction

from accounts.models import User
from core.errors import ApplicationError
from lifecycle.events import MembershipChange
from lifecycle.services import lifecycle_membership_changed
from projects.models import Project
from teams.models import Membership, Role


@dataclass(frozen=True)
class MembershipUpsert:
    membership: Membership
    created: bool
    changed: bool  # True when created, or when the role or the access list differed


class MembershipRefusal(StrEnum):
    """Why membership_upsert refused (core.errors.ApplicationError.reason); `fields` says
    which of member, role and projects."""

    INVALID = "invalid"


def membership_validate(*, owner: User, member: User, role: str, projects: list[Project]) -> None:
    errors: dict[str, str] = {}
    if owner.pk is None or member.pk is None:
        errors["member"] = "Owner and member must be saved users."
    elif owner.pk == member.pk:
        errors["member"] = "A user cannot be a member of their own account."
    if role not in Role.values:
        errors["role"] = f'Unknown role "{role}" (expected {" or ".join(Role.values)}).'
    foreign = [p.public_id for p in projects if p.pk is None or p.owner_id != owner.pk]
    if foreign:
        errors["projects"] = f"Not projects of {owner.email}: {', '.join(foreign)}."
    if errors:
        raise ApplicationError(MembershipRefusal.INVALID, " ".join(errors.values()), fields=errors)


@transaction.atomic
def membership_upsert(
    *, owner: User, member: User, role: str, projects: Iterable[Project]
) -> MembershipUpsert:
    """Give `member` the `role` in `owner`'s account, reaching exactly `projects`.

    Creates the membership or updates it in place; the access list is replaced, not merged.
    Raises ApplicationError (MembershipRefusal.INVALID, naming the fields) when member is the
    owner, the role is unknown, or a project belongs to another account.
    """
    projects = list(projects)
    membership_validate(owner=owner, member=member, role=role, projects=projects)
    wanted = {p.pk for p in projects}
    membership = Membership.objects.select_for_update().filter(owner=owner, member=member).first()
    changes: list[MembershipChange] = []
    if membership is None:
        membership = Membership.objects.create(owner=owner, member=member, role=role)
        membership.projects.set(projects)
        changes.append(MembershipChange.ADDED)
    else:
        current = set(membership.projects.values_list("pk", flat=True))
        if membership.role != role:
            changes.append(MembershipChange.ROLE)
        if current != wanted:
            changes.append(MembershipChange.ACCESS)
        if changes:
            membership.role = role
            membership.save(update_fields=["role", "updated_at"])
            if current != wanted:
                membership.projects.set(projects)
    if changes:
        lifecycle_membership_changed(
            owner_public_id=owner.public_id,
            member_public_id=member.public_id,
            role=role,
            project_ids=[p.public_id for p in projects],
            changes=changes,
        )
    created = changes == [MembershipChange.ADDED]
    return MembershipUpsert(membership=membership, created=created, changed=bool(changes))


@transaction.atomic
def membership_remove(*, owner: User, member: User) -> bool:
    """Remove `member` from `owner`'s account. Returns False when they were not a member."""
    deleted, _ = Membership.objects.filter(owner=owner, member=member).delete()
    if deleted:
        lifecycle_membership_changed(
            owner_public_id=owner.public_id,
            member_public_id=member.public_id,
            role=None,
            project_ids=None,
            changes=[MembershipChange.REMOVED],
        )
    return bool(deleted)
