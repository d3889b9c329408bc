"""A Redis outage is not a dashboard outage: with the cache stopped, sign-in (allauth keeps
its rate limits in the cache), the home page and Request API Key answer, no 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

from core import cache as failsoft
from tests.support.services import ROOT, RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def stopped_redis_cache(settings, monkeypatch):
    server = RedisServer()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    failsoft._quiet.due_now()
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # it really is Redis, and up
    server.stop()
    yield server


def test_with_redis_stopped_a_password_sign_in_and_the_dashboard_still_answer(
    client, owner, stopped_redis_cache, caplog
):
    page = client.get("/accounts/login/")
    signed_in = client.post("/accounts/login/", {"login": owner.email, "password": "pw-owner-123"})
    home = client.get("/")
    request_page = client.get("/keys/request/")

    assert page.status_code == 200
    assert signed_in.status_code == 302
    assert client.session[SESSION_KEY] == str(owner.pk)
    assert home.status_code == 200
    assert request_page.status_code == 200
    assert "cache unavailable" in caplog.text


def test_reads_miss_writes_are_dropped_and_add_fails_open(stopped_redis_cache):
    assert cache.get("anything", "default") == "default"
    assert cache.add("k", 1) is True  # "first hit" / "lock taken": a limit fails open
    cache.set("k", 1)
    assert cache.get_many(["k"]) == {}
    with pytest.raises(Exception):  # noqa: B017  (core.ratelimit decides for itself)
        cache.incr("k")


def test_production_settings_use_the_fail_soft_backend_for_a_redis_cache_url():
    env = {**os.environ, "CACHE_URL": "redis://127.0.0.1:1/0"}
    env["DJANGO_SETTINGS_MODULE"] = "keyservice.settings_test"
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True
    )
    assert json.loads(out.stdout)["default"]["BACKEND"] == "core.cache.FailSoftRedisCache"
