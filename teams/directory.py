"""Import a directory (users, projects, memberships) in one transaction, keeping given ids.

The whole input is checked first (teams.directory_check); only a clean input is written, all
in one transaction. Re-importing the same data changes nothing. Entries not in the input are
kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import user_create_or_update
from audit.services import SYSTEM
from core.errors import ApplicationError
from projects.models import Project
from projects.services import project_create_or_update
from teams.directory_check import DirectoryError, directory_check, user_map_by_email
from teams.services import membership_upsert

__all__ = ["DirectoryError", "ImportSummary", "directory_import"]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, *, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def describe(self, noun: str) -> str:
        total = self.created + self.updated + self.unchanged
        detail = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return f"{total} {noun} ({detail})"


@dataclass(frozen=True)
class ImportSummary:
    users: Counts = field(default_factory=Counts)
    projects: Counts = field(default_factory=Counts)
    memberships: Counts = field(default_factory=Counts)

    def __str__(self) -> str:
        return "Imported " + ", ".join(
            getattr(self, name).describe(name) for name in ("users", "projects", "memberships")
        )


def directory_import(*, data: dict) -> ImportSummary:
    """Check `data` completely, then write it in one transaction: all or nothing.

    Raises DirectoryError (nothing written) listing every problem found.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    summary = ImportSummary()
    try:
        with transaction.atomic():
            users, projects, memberships = directory_check(data)
            by_email: dict[str, User] = {}
            for user_row in users:
                by_email[user_row.email], created, changed = user_create_or_update(
                    user=user_row.existing,
                    email=user_row.email,
                    name=user_row.name,
                    public_id=user_row.public_id,
                    password=user_row.password,
                )
                summary.users.add(created=created, changed=changed)
            others = {r.owner for r in projects} | {r.account for r in memberships}
            others |= {r.member for r in memberships}
            by_email |= user_map_by_email(others - by_email.keys())
            by_id: dict[str, Project] = {}
            for project_row in projects:
                owner = by_email[project_row.owner]
                project, created, changed = project_create_or_update(
                    project=project_row.existing,
                    owner=owner,
                    name=project_row.name,
                    public_id=project_row.public_id,
                )
                by_id[project.public_id] = project
                summary.projects.add(created=created, changed=changed)
            needed = {i for r in memberships for i in r.project_ids} - by_id.keys()
            by_id |= Project.objects.in_bulk(needed, field_name="public_id")
            for row in memberships:
                try:
                    result = membership_upsert(
                        owner=by_email[row.account],
                        member=by_email[row.member],
                        role=row.role,
                        projects=[by_id[i] for i in row.project_ids],
                        actor=SYSTEM,
                        via="directory import",
                    )
                except ApplicationError as exc:
                    problems = list(exc.fields.values()) or [exc.message]
                    raise DirectoryError([f"{row.where}: {m}" for m in problems]) from exc
                summary.memberships.add(created=result.created, changed=result.changed)
    except IntegrityError as exc:
        raise DirectoryError([f"the database rejected the import: {exc}"]) from exc
    return summary
