"""What the public project read adds to the credential's answer — the project's webhook URL and
events and its latest files — cached under the project's stamp like the credential itself.

Every write of those fields bumps the project's stamp (builds.apps and webhooks.apps track
Upload and Webhook, core.stamped), so an entry is never stale (docs/scaling.md); a warm read
makes no query at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apikeys.verifycache import Stamps, verify_cache_get
from builds.selectors import upload_list
from core.stamps import StampKind, stamp_key
from projects.models import Project
from webhooks.selectors import webhook_get


@dataclass(frozen=True, slots=True)
class ProjectExtras:
    webhook_url: str | None
    webhook_events: tuple[str, ...]
    files: tuple[dict[str, Any], ...]  # the answer's files[] (never mutated: entries are shared)


def rest_timestamp(value: datetime) -> str:
    """A REST timestamp as documented: UTC, milliseconds, `Z` (2026-02-01T10:15:00.000Z)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _compute(project_pk: int) -> ProjectExtras:
    hook = webhook_get(project=Project(pk=project_pk))
    url, events = (hook.url, hook.events) if hook else ("", [])
    files = tuple(
        {
            "_id": upload.public_id,
            "url": upload.file_url,
            "status": upload.status,
            "date": rest_timestamp(upload.created_at),
            "objection": upload.objection or None,  # null unless rejected
        }
        for upload in upload_list(project_id=project_pk)
    )
    return ProjectExtras(url or None, tuple(events or ()), files)


def project_extras_get(*, project_pk: int) -> ProjectExtras:
    depends = Stamps(keys=(stamp_key(StampKind.PROJECT, project_pk),))
    extras, _ = verify_cache_get(
        ("project-extras", project_pk),
        compute=lambda: _compute(project_pk),
        stamps_of=lambda _: depends,
        observe=False,
    )
    return extras
