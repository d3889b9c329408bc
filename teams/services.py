"""Writes for teams: add or change a member's role and access list, remove a member (and keep
when they were one: FormerMembership)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import Actor, JsonValue, audit_record
from core.batches import queryset_delete_in_batches
from core.errors import ApplicationError
from lifecycle.events import MembershipChange
from lifecycle.services import lifecycle_membership_changed
from projects.models import Project
from teams.models import FormerMembership, Membership, Role


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
    *,
    owner: User,
    member: User,
    role: str,
    projects: Iterable[Project],
    actor: Actor,
    via: str = "",
) -> MembershipUpsert:
    """Give `member` the `role` in `owner`'s account, reaching exactly `projects`.

    Creates the membership or updates it in place; the access list is replaced, not merged.
    A creation or a change is recorded in the owner's audit trail (`member_added` /
    `member_changed`, caused by `actor`, `via` saying through what). Raises ApplicationError
    (MembershipRefusal.INVALID, naming the fields) when member is the owner, the role is
    unknown, or a project belongs to another account.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    projects = list(projects)
    membership_validate(owner=owner, member=member, role=role, projects=projects)
    wanted = {p.pk for p in projects}
    membership = Membership.objects.select_for_update().filter(owner=owner, member=member).first()
    details: dict[str, JsonValue] = {"role": role}
    if via:
        details["via"] = via
    changes: list[MembershipChange] = []
    if membership is None:
        membership = Membership.objects.create(owner=owner, member=member, role=role)
        membership.projects.set(projects)
        changes.append(MembershipChange.ADDED)
        audit_record(
            kind=AuditEvent.Kind.MEMBER_ADDED,
            account=owner,
            actor=actor,
            subject=member,
            projects=[p.public_id for p in projects],
            details=details,
        )
    else:
        current = dict(membership.projects.values_list("pk", "public_id"))
        if membership.role != role:
            changes.append(MembershipChange.ROLE)
        if set(current) != wanted:
            changes.append(MembershipChange.ACCESS)
        if changes:
            details |= {"from_role": membership.role, "from_projects": sorted(current.values())}
            membership.role = role
            membership.save(update_fields=["role", "updated_at"])
            if set(current) != wanted:
                membership.projects.set(projects)
            audit_record(
                kind=AuditEvent.Kind.MEMBER_CHANGED,
                account=owner,
                actor=actor,
                subject=member,
                projects=[p.public_id for p in projects],
                details=details,
            )
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
def membership_remove(*, owner: User, member: User, actor: Actor) -> bool:
    """Remove `member` from `owner`'s account. Returns False when they were not a member.

    Recorded in the owner's trail: `member_left` when the member is the actor, else
    `member_removed`; announced to lifecycle subscribers as `membership.changed`.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    membership = Membership.objects.select_for_update().filter(owner=owner, member=member).first()
    if membership is None:
        return False
    role, projects = membership.role, list(membership.projects.values_list("public_id", flat=True))
    membership_end_record(memberships=[membership])
    membership.delete()
    left = actor.user is not None and actor.user.pk == member.pk
    audit_record(
        kind=AuditEvent.Kind.MEMBER_LEFT if left else AuditEvent.Kind.MEMBER_REMOVED,
        account=owner,
        actor=actor,
        subject=member,
        projects=projects,
        details={"role": role},
    )
    lifecycle_membership_changed(
        owner_public_id=owner.public_id,
        member_public_id=member.public_id,
        role=None,
        project_ids=None,
        changes=[MembershipChange.REMOVED],
    )
    return True


def membership_end_record(*, memberships: list[Membership] | QuerySet[Membership]) -> int:
    """Keep when each of `memberships` (about to be deleted) was a membership: a
    FormerMembership from its creation until now, so the owner's trail keeps showing the
    member's events of that time. Returns how many were recorded."""
    now = timezone.now()
    rows = [
        FormerMembership(
            owner_id=m.owner_id,
            member_id=m.member_id,
            member_public_id=m.member.public_id,
            started_at=m.created_at,
            ended_at=now,
        )
        for m in memberships
    ]
    FormerMembership.objects.bulk_create(rows)
    return len(rows)


def membership_on_user_deleted(*, user: User, actor: User | None, deleted: bool) -> None:
    """accounts.hooks.USER_DEACTIVATED: an account about to be deleted ends its memberships
    (the database cascades them): each is kept as a FormerMembership first. A deactivation
    ends none."""
    if deleted:
        membership_end_record(
            memberships=Membership.objects.filter(member=user).select_related("member")
        )


def formermembership_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete the memberships that ended before `before` (their events are pruned by then)."""
    return queryset_delete_in_batches(
        FormerMembership.objects.filter(ended_at__lt=before), batch_size=batch_size
    )
