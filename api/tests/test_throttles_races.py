"""Concurrent uploads and distributions through the real request path, on PostgreSQL with
a Redis cache: of 10 at once against `1/120s`, exactly one passes (issue 9)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from apikeys.services import apikey_issue
from builds.models import Upload
from tests.support.api import DISTRIBUTE, UPLOAD, VALID_ZIP
from tests.support.builds import upload_ready_to_distribute

THREADS = 10


def _at_once(call) -> list[int]:
    barrier = threading.Barrier(THREADS)

    def run(_: int) -> int:
        try:
            client = Client()
            barrier.wait()
            return call(client).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.fixture
def write_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "upload": "1/120s",
            "distribute": "1/120s",
        },
    }


def test_ten_concurrent_uploads_pass_a_1_per_120s_limit_exactly_once(
    postgres, redis_cache, write_rates, owner, showroom
):
    key = apikey_issue(user=owner).plaintext
    creds = {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}
    statuses = _at_once(lambda c: UPLOAD.call(c, **creds, fileUrl=VALID_ZIP))
    assert sorted(statuses) == [200] + [429] * (THREADS - 1)
    assert Upload.objects.filter(project=showroom).count() == 1


def test_ten_concurrent_distributions_pass_a_1_per_120s_limit_exactly_once(
    postgres, redis_cache, write_rates, owner, showroom
):
    key = apikey_issue(user=owner).plaintext
    upload = upload_ready_to_distribute(showroom)
    creds = {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}
    statuses = _at_once(lambda c: DISTRIBUTE.call(c, **creds, uploadId=upload.public_id))
    assert sorted(statuses) == [200] + [429] * (THREADS - 1)
