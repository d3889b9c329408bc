"""What the public project read adds to the credential's answer — the project's webhook URL and
events and its latest files — cached (core.leasedcache) as depending on the project.

What its query reads is declared below it (PROJECT_EXTRAS_SOURCES, installed by the wiring):
every write of those fields announces the project, so an entry is never stale
(docs/scaling.md); a warm read makes no query at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.db.models.functions import JSONObject

from builds.models import Upload
from core.leasedcache import Depends, Source, Sources, Topic, cached
from projects.models import Project
from webhooks.models import Webhook


@dataclass(frozen=True, slots=True)
class ProjectExtras:
    webhook_url: str | None
    webhook_events: tuple[str, ...]
    files: tuple[dict[str, Any], ...]  # the answer's files[] (never mutated: entries are shared)


def rest_timestamp(value: datetime) -> str:
    """A REST timestamp as documented: UTC, milliseconds, `Z` (2026-02-01T10:15:00.000Z)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# The latest files of a project, each as a JSON object, newest first (Upload's ordering).
FILES_LISTED = 100


def _compute(project_pk: int) -> ProjectExtras:
    """One query: the project's webhook settings (a LEFT JOIN: a project may have none) and
    its latest FILES_LISTED files (an ARRAY subquery of JSON objects)."""
    files = Upload.objects.filter(project_id=OuterRef("pk")).values(
        file=JSONObject(
            id="public_id",
            url="file_url",
            status="status",
            created_at="created_at",
            objection="objection",
        )
    )[:FILES_LISTED]
    row = (
        Project.objects.filter(pk=project_pk)
        .annotate(files=ArraySubquery(files))
        .values("webhook__url", "webhook__events", "files")
        .first()
    )
    if row is None:  # deleted since the credential was read: nothing to add
        return ProjectExtras(None, (), ())
    return ProjectExtras(
        row["webhook__url"] or None,
        tuple(row["webhook__events"] or ()),
        tuple(
            {
                "_id": f["id"],
                "url": f["url"],
                "status": f["status"],
                # PostgreSQL's JSON spells a timestamptz in ISO 8601 with its offset
                "date": rest_timestamp(datetime.fromisoformat(f["created_at"])),
                "objection": f["objection"] or None,  # null unless rejected
            }
            for f in row["files"]
        ),
    )


# What _compute reads, and what each row's writes announce: the fields it answers with announce
# the project; the upload pipeline's bookkeeping, a webhook's secret and retry setting do not.
PROJECT_EXTRAS_SOURCES = Sources(
    reader="the public project read's extras",
    query="api.project_extras._compute",
    sources=(
        Source(
            Project,
            announces=((Topic.PROJECT, "id"),),
            why="the row the webhook and the files hang off",
        ),
        Source(
            Upload,
            announces=((Topic.PROJECT, "project_id"),),
            watched=("id", "project", "public_id", "file_url", "status", "objection", "created_at"),
            why="a project's latest files as listed",
        ),
        Source(
            Webhook,
            announces=((Topic.PROJECT, "project_id"),),
            watched=("id", "project", "url", "events"),
            why="the webhook's URL and events",
        ),
    ),
)


def project_extras_get(*, project_pk: int) -> ProjectExtras:
    depends = Depends([(Topic.PROJECT, project_pk)])
    extras, _ = cached(
        ("project-extras", project_pk),
        compute=lambda: _compute(project_pk),
        depends_on=lambda _: depends,
        observe=False,
    )
    return extras
