"""Uploads in a given lifecycle state, for tests (builds.lifecycle is the rule)."""

from __future__ import annotations

from django.utils import timezone

from builds.models import Upload
from projects.models import Project
from tests.support.api import VALID_ZIP


def upload_ready_to_distribute(project: Project, **fields) -> Upload:
    """An `autoRelease: false` upload the pipeline approved (validated and stored, not live):
    the state in which distribute-file sends it on to Distribute."""
    values = {
        "file_url": VALID_ZIP,
        "auto_release": False,
        "status": Upload.Status.APPROVED,
        "approved_at": timezone.now(),
        **fields,
    }
    return Upload.objects.create(project=project, **values)
