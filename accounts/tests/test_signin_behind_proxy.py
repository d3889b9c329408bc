"""Behind the documented TLS proxy every request comes from the proxy's address: sign-in's
rate limits (allauth) must count clients by the address the proxy appends, like the API's, or
one client's failed logins lock every customer out of the dashboard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"  # REMOTE_ADDR of every request: the proxy (never connected to)
ATTACKER, CUSTOMER = "198.51.100.7", "203.0.113.20"


def login(client, email: str, password: str, client_address: str):
    return client.post(
        "/accounts/login/",
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_address,
    )


def signed_in(response) -> str | None:
    return response.wsgi_request.session.get(SESSION_KEY) if response.status_code == 302 else None


@pytest.mark.django_db
def test_one_clients_failed_logins_behind_the_proxy_do_not_lock_out_another(
    client, owner, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    guesses = [login(client, f"guess-{n}@example.com", "wrong", ATTACKER) for n in range(12)]

    assert signed_in(guesses[-1]) is None  # the flooding client is limited ...
    assert login(client.__class__(), owner.email, "pw-owner-123", ATTACKER).status_code != 302
    customer = login(client.__class__(), owner.email, "pw-owner-123", CUSTOMER)
    assert signed_in(customer) == str(owner.pk)  # the customer behind the same proxy is not


@pytest.mark.django_db
def test_without_the_trusted_proxy_count_everyone_shares_the_proxys_budget(client, owner, settings):
    """The misconfiguration this guards against: it is what the wiring below prevents."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for n in range(12):
        login(client, f"guess-{n}@example.com", "wrong", ATTACKER)

    assert signed_in(login(client.__class__(), owner.email, "pw-owner-123", CUSTOMER)) is None


def test_one_setting_gives_the_api_and_sign_in_the_same_trusted_proxy_count():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEYSERVICE_"))}
    env.update(
        KEYSERVICE_ENV_FILE="",
        DJANGO_DEBUG="true",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/unused",  # never connected to
        KEYSERVICE_NUM_PROXIES="2",
        DJANGO_SETTINGS_MODULE="keyservice.settings",
    )
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.REST_FRAMEWORK['NUM_PROXIES'], s.ALLAUTH_TRUSTED_PROXY_COUNT]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [2, 2]
