"""Uploads in a given lifecycle state, and the builds queue's messages, for tests."""

from __future__ import annotations

import base64
import json

import redis
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


def queued(url: str, queue: str) -> list[dict]:
    """The task messages waiting on a Redis queue (their task and kwargs), taken off it."""
    client = redis.Redis.from_url(url)
    try:
        messages = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
    finally:
        client.delete(queue)
    return [
        {"task": m["headers"]["task"], "kwargs": json.loads(base64.b64decode(m["body"]))[1]}
        for m in messages
    ]
