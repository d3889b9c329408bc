"""A cache (Redis) outage never turns the API into 500s: the throttles fail open."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time

import pytest

from apikeys import crypto
from apikeys.services import apikey_issue
from tests.support.api import DETAIL, DISTRIBUTE, LIST, STATUS, UPLOAD, VALID_ZIP
from tests.support.builds import upload_ready_to_distribute
from tests.support.services import ROOT

pytestmark = pytest.mark.django_db


def _every_kind_of_request(client, owner, showroom) -> list[tuple[str, int]]:
    key = apikey_issue(user=owner).plaintext
    creds = {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}
    wrong = {**creds, "api_key": crypto.generate_key()}
    upload = upload_ready_to_distribute(showroom)
    answers = [
        ("list", LIST.call(client, **creds).status_code),
        ("status", STATUS.call(client, **creds).status_code),
        ("detail", DETAIL.call(client, **creds).status_code),
        ("upload", UPLOAD.call(client, **creds, fileUrl=VALID_ZIP).status_code),
        ("upload again", UPLOAD.call(client, **creds, fileUrl=VALID_ZIP).status_code),
        ("distribute", DISTRIBUTE.call(client, **creds, uploadId=upload.public_id).status_code),
    ]
    answers += [("wrong key", DETAIL.call(client, **wrong).status_code) for _ in range(3)]
    answers.append(("malformed key", DETAIL.call(client, **{**creds, "api_key": "x"}).status_code))
    return answers


def test_with_redis_stopped_valid_requests_get_200_and_invalid_ones_401(
    client, settings, redis_cache, owner, showroom, caplog, outage_warning_due
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "upload": "1/120s",
            "distribute": "1/120s",
            "auth_failures_client": "1/120s",
        },
    }
    redis_cache.stop()
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        answers = _every_kind_of_request(client, owner, showroom)
    assert answers == [
        ("list", 200),
        ("status", 200),
        ("detail", 200),
        ("upload", 200),
        ("upload again", 200),  # no counter to refuse it: open, not closed
        ("distribute", 200),
        ("wrong key", 401),
        ("wrong key", 401),
        ("wrong key", 401),
        ("malformed key", 401),
    ]
    assert "failing open" in caplog.text


def _production_cache_settings(url: str) -> dict:
    """CACHES as keyservice/settings/__init__.py builds it from CACHE_URL (a fresh process)."""
    env = {
        **os.environ,
        "CACHE_URL": url,
        "DJANGO_SETTINGS_MODULE": "keyservice.settings_test",
        "KEYSERVICE_CACHE_SOCKET_TIMEOUT": "0.5",
    }
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True
    )
    return json.loads(out.stdout)


def test_a_redis_that_accepts_connections_but_never_answers_does_not_hang_the_api(
    client, settings, owner, showroom
):
    """A blackholed cache: the socket timeout (KEYSERVICE_CACHE_SOCKET_TIMEOUT) bounds it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # connections queue in the backlog; nothing ever reads them
        port = silent.getsockname()[1]
        settings.CACHES = _production_cache_settings(f"redis://127.0.0.1:{port}/0")
        assert settings.CACHES["default"]["OPTIONS"]["socket_timeout"] == 0.5
        key = apikey_issue(user=owner).plaintext
        creds = {"user_id": owner.public_id, "project_id": showroom.public_id}
        started = time.monotonic()
        ok = UPLOAD.call(client, api_key=key, **creds, fileUrl=VALID_ZIP)
        wrong = DETAIL.call(client, api_key=crypto.generate_key(), **creds)
        elapsed = time.monotonic() - started
    assert (ok.status_code, wrong.status_code) == (200, 401)
    assert elapsed < 5
