"""Reads for the account owner's Security page and audit trail (dashboard.security_views).

Who reaches a project is teams.selectors.account_reach_list (the one access rule); keys,
their last use and webhook settings are asked of apikeys and webhooks. The trail combines
two tables: the team events of audit.models.AuditEvent (recorded with the account) and the
key and identity events of apikeys.models.KeyEvent of the owner and of the account's
members (of the time they were members, also after they left).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.fields import CharField
from django.utils import timezone

from accounts.models import User
from apikeys.models import TOKEN_EVENT_KINDS, ApiKey, KeyEvent
from apikeys.selectors import apikey_active_by_user, apikey_last_used_map
from audit.models import ActorKind, AuditEvent
from projects.models import Project
from projects.selectors import project_list_owned
from teams.models import FormerMembership, Invitation, Membership
from teams.selectors import Access, account_reach_list, invitation_list_pending
from webhooks.models import Webhook
from webhooks.selectors import webhook_map_for


@dataclass(frozen=True)
class Person:
    user: User
    access: Access
    projects: list[str]  # the names in a member's access list; empty for the owner
    key: ApiKey | None
    last_used: datetime | None  # apikeys.selectors.apikey_last_used_map: None until known


@dataclass(frozen=True)
class ProjectSecurity:
    project: Project
    people: list[Person]
    webhook: Webhook | None


@dataclass(frozen=True)
class SecurityOverview:
    projects: list[ProjectSecurity]
    unreached: list[Membership]  # members who reach no project (none ticked, or inactive)
    invitations: list[Invitation]


def security_overview(*, owner: User) -> SecurityOverview:
    """Everything the Security page shows, in a fixed number of queries."""
    projects = project_list_owned(owner=owner)
    reach = account_reach_list(owner=owner, projects=projects)
    memberships = list(
        Membership.objects.filter(owner=owner)
        .select_related("member")
        .prefetch_related("projects")
        .order_by("member__email")
    )
    access_lists = {m.member_id: sorted(p.name for p in m.projects.all()) for m in memberships}
    keys = apikey_active_by_user(user_ids={r.user.pk for r in reach})
    last_used = apikey_last_used_map(key_ids=[k.pk for k in keys.values()])
    hooks = webhook_map_for(projects=projects)
    people: dict[int, list[Person]] = {p.pk: [] for p in projects}
    for r in reach:
        key = keys.get(r.user.pk)
        people[r.project_id].append(
            Person(
                user=r.user,
                access=r.access,
                projects=access_lists.get(r.user.pk, []),
                key=key,
                last_used=last_used.get(key.pk) if key else None,
            )
        )
    reaching = {r.user.pk for r in reach}
    return SecurityOverview(
        projects=[
            ProjectSecurity(project=p, people=people[p.pk], webhook=hooks.get(p.pk))
            for p in projects
        ],
        unreached=[m for m in memberships if m.member_id not in reaching],
        invitations=invitation_list_pending(owner=owner),
    )


# --- The audit trail ------------------------------------------------------------------------

TEAM, KEY = "team", "key"


def trail_kind_choices() -> list[tuple[str, str]]:
    """Every kind of event the trail holds, team events first (service token events are no
    account's)."""
    keys = [(k, label) for k, label in KeyEvent.Kind.choices if k not in TOKEN_EVENT_KINDS]
    return [*AuditEvent.Kind.choices, *keys]


@dataclass(frozen=True)
class TrailRow:
    created_at: datetime
    source: str  # TEAM or KEY
    kind: str
    kind_label: str
    actor_kind: str
    actor: str
    person: str
    projects: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    project_names: list[str] = field(default_factory=list)  # for the page; the CSV has ids

    def detail_items(self) -> list[tuple[str, str]]:
        """The details as (label, text) for the page, in words: "From role: FULL", a list
        joined by commas, a time as "2026-12-07 06:30 UTC", None as —."""
        return [(detail_label(name), _text(value)) for name, value in self.details.items()]


# Detail names whose words alone would not say what they are.
DETAIL_LABELS = {
    "from": "From",
    "to": "To",
    "via": "Via",
    "invitation": "Invitation number",
    "previous_signs_until": "Previous secret signs until",
}


def detail_label(name: str) -> str:
    """A detail's name as a label: "from_role" → "From role"."""
    return DETAIL_LABELS.get(name) or name.replace("_", " ").strip().capitalize() or name


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _team_events(
    owner: User, person: str, kind: str, until: datetime | None = None
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(account=owner)
    if until is not None:
        events = events.filter(created_at__lte=until)
    if person:
        # Exactly the chosen address (trail_people), never iexact: a look-alike's events
        # (`vıctim@…`) are another person's.
        events = events.filter(subject_email=person)
    if kind:
        events = events.filter(kind=kind)
    return events


def _key_events(
    owner: User, person: str, kind: str, until: datetime | None = None
) -> QuerySet[KeyEvent]:
    """Key and identity events of the owner, and of each member for the time they were a
    member: since they joined, for a current one; from joining to leaving, for a former one
    (teams.models.FormerMembership: kept after they leave, even after their account is
    deleted, matched by the userId the event keeps)."""
    member_now = Membership.objects.filter(
        owner=owner, member=OuterRef("user_id"), created_at__lte=OuterRef("created_at")
    )
    member_then = FormerMembership.objects.filter(
        owner=owner,
        member_public_id=OuterRef("user_public_id"),
        started_at__lte=OuterRef("created_at"),
        ended_at__gte=OuterRef("created_at"),
    )
    events = KeyEvent.objects.filter(Q(user=owner) | Q(Exists(member_now)) | Q(Exists(member_then)))
    if until is not None:
        events = events.filter(created_at__lte=until)
    if person:
        events = events.filter(user_email=person)  # exactly, as above
    if kind:
        events = events.filter(kind=kind)
    return events


def trail_query(
    *, owner: User, person: str = "", kind: str = "", until: datetime | None = None
) -> QuerySet[Any]:
    """(created_at, id, source) of the owner's trail (up to `until`), newest first: one UNION
    query, to page through (trail_rows loads a page's rows)."""
    columns = ("created_at", "id", "source")
    source: CharField[str, str] = CharField()
    team = (
        _team_events(owner, person, kind, until)
        .annotate(source=Value(TEAM, output_field=source))
        .values_list(*columns)
        .order_by()
    )
    key = (
        _key_events(owner, person, kind, until)
        .annotate(source=Value(KEY, output_field=source))
        .values_list(*columns)
        .order_by()
    )
    return team.union(key, all=True).order_by(F("created_at").desc(), F("id").desc())


def trail_people(*, owner: User) -> list[str]:
    """The addresses the person filter offers: everyone the trail has an event about."""
    team = AuditEvent.objects.filter(account=owner).exclude(subject_email="")
    emails = set(team.values_list("subject_email", flat=True).distinct())
    emails |= set(_key_events(owner, "", "").values_list("user_email", flat=True).distinct())
    return sorted(e for e in emails if e)


def _team_row(event: AuditEvent) -> TrailRow:
    actor = event.actor_email if event.actor_kind != ActorKind.SYSTEM else ""
    return TrailRow(
        created_at=event.created_at,
        source=TEAM,
        kind=event.kind,
        kind_label=event.get_kind_display(),
        actor_kind=event.actor_kind,
        actor=actor,
        person=event.subject_email,
        projects=list(event.projects),
        details=dict(event.details),
    )


def _key_row(event: KeyEvent) -> TrailRow:
    actor = event.actor
    if actor is None:
        actor_kind, actor_email = ActorKind.SYSTEM, ""
    else:
        is_operator = actor.pk != event.user_id and actor.is_staff
        actor_kind = ActorKind.OPERATOR if is_operator else ActorKind.USER
        actor_email = actor.email
    details: dict[str, Any] = {"key": event.key.hint} if event.key else {}
    if event.detail:
        details["detail"] = event.detail
    return TrailRow(
        created_at=event.created_at,
        source=KEY,
        kind=event.kind,
        kind_label=event.get_kind_display(),
        actor_kind=actor_kind,
        actor=actor_email,
        person=event.user_email,
        details=details,
    )


def trail_rows(*, refs: list[tuple[datetime, int, str]], names: bool = False) -> list[TrailRow]:
    """The rows `refs` (a slice of trail_query) name, in their order: two queries (three
    with `names`: the projects' current names, else their projectIds)."""
    team_ids = [pk for _, pk, source in refs if source == TEAM]
    key_ids = [pk for _, pk, source in refs if source == KEY]
    team = AuditEvent.objects.in_bulk(team_ids)
    key = KeyEvent.objects.select_related("actor", "key").in_bulk(key_ids)
    rows = [
        _team_row(team[pk]) if source == TEAM else _key_row(key[pk])
        for _, pk, source in refs
        if pk in (team if source == TEAM else key)
    ]
    if names and (ids := {i for row in rows for i in row.projects}):
        known = dict(Project.objects.filter(public_id__in=ids).values_list("public_id", "name"))
        for row in rows:
            row.project_names[:] = [known.get(i, i) for i in row.projects]
    return rows


def trail_iter(
    *, owner: User, person: str = "", kind: str = "", chunk: int = 500
) -> Iterator[TrailRow]:
    """The whole trail, newest first, `chunk` rows per round trip (for the CSV export). Events
    recorded while it runs are left out (up to its start), so no page shifts under it."""
    refs = trail_query(owner=owner, person=person, kind=kind, until=timezone.now())
    start = 0
    while page := list(refs[start : start + chunk]):
        yield from trail_rows(refs=page)
        start += chunk
