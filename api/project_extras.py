"""What the public project read adds to the credential's answer — the project's webhook URL and
events and its latest files — cached (core.leasedcache) as depending on the project.

What its query reads is declared below it (PROJECT_EXTRAS_SOURCES, installed by the wiring):
every write of those fields announces the project (its row: PROJECT; its webhook and files:
PROJECT_EXTRAS, which no credential's answer depends on, so an upload leaves the credentials
cached), so an entry is never stale (docs/scaling.md); a warm read makes no query at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from builds.models import Upload
from core.leasedcache import Depends, Source, Sources, Topic, cached
from core.onerow import fetch_optional_row
from core.timestamps import rest_timestamp
from projects.models import Project
from webhooks.models import Webhook


@dataclass(frozen=True, slots=True)
class ProjectExtras:
    webhook_url: str | None
    webhook_events: tuple[str, ...]
    files: tuple[dict[str, Any], ...]  # the answer's files[] (never mutated: entries are shared)


# The latest files of a project, each as a JSON object, newest first (Upload's ordering).
FILES_LISTED = 100


@cache
def _sql() -> str:
    """The extras' query, built once per process: the project's webhook settings (a LEFT JOIN:
    a project may have none) and its latest FILES_LISTED files, as one JSON text. Built by
    the ORM on every miss it cost more CPU than the round trip (docs/performance.md)."""
    q = connection.ops.quote_name
    project, webhook, upload = (q(m._meta.db_table) for m in (Project, Webhook, Upload))
    return f"""
        SELECT json_build_object(
                 'url', w.url,
                 'events', w.events,
                 'files', COALESCE(
                   (SELECT json_agg(f.file ORDER BY f.created_at DESC, f.id DESC)
                      FROM (SELECT jsonb_build_object(
                                     'id', u.public_id, 'url', u.file_url,
                                     'status', u.status, 'created_at', u.created_at,
                                     'objection', u.objection) AS file,
                                   u.created_at, u.id
                              FROM {upload} u
                             WHERE u.project_id = p.id
                             ORDER BY u.created_at DESC, u.id DESC
                             LIMIT {int(FILES_LISTED)}) f),
                   '[]'::json))::text
          FROM {project} p LEFT JOIN {webhook} w ON w.project_id = p.id
         WHERE p.id = %(project)s
    """  # noqa: S608 (table names from the models, the limit an int: no input)


def _compute(project_pk: int) -> ProjectExtras:
    """One query (`_sql`, prepared: core.onerow): the project's webhook settings and latest
    files."""
    found = fetch_optional_row(_sql(), {"project": project_pk})
    if found is None:  # deleted since the credential was read: nothing to add
        return ProjectExtras(None, (), ())
    row = json.loads(found[0])
    return ProjectExtras(
        row["url"] or None,
        tuple(row["events"] or ()),
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
            announces=((Topic.PROJECT_EXTRAS, "project_id"),),
            watched=("id", "project", "public_id", "file_url", "status", "objection", "created_at"),
            why="a project's latest files as listed",
        ),
        Source(
            Webhook,
            announces=((Topic.PROJECT_EXTRAS, "project_id"),),
            watched=("id", "project", "url", "events"),
            why="the webhook's URL and events",
        ),
    ),
)


def project_extras_get(*, project_pk: int) -> ProjectExtras:
    depends = Depends([(Topic.PROJECT, project_pk), (Topic.PROJECT_EXTRAS, project_pk)])
    extras, _ = cached(
        ("project-extras", project_pk),
        compute=lambda: _compute(project_pk),
        depends_on=lambda _: depends,
        observe=False,
    )
    return extras
