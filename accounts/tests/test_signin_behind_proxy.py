"""Behind the documented TLS proxy every request comes from the proxy's address: sign-in's
rate limits (allauth) must count clients by the address the proxy appends, like the API's, or
one client's failed logins lock every customer out of the dashboard. And they count an IPv6
client as its /64, like the API's (core.clientip.client_identity), or one subscriber's many
addresses each get a budget of their own."""

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
    settings.KEYSERVICE_NUM_PROXIES = 1
    guesses = [login(client, f"guess-{n}@example.com", "wrong", ATTACKER) for n in range(12)]

    assert signed_in(guesses[-1]) is None  # the flooding client is limited ...
    assert login(client.__class__(), owner.email, "pw-owner-123", ATTACKER).status_code != 302
    customer = login(client.__class__(), owner.email, "pw-owner-123", CUSTOMER)
    assert signed_in(customer) == str(owner.pk)  # the customer behind the same proxy is not


@pytest.mark.django_db
def test_without_the_trusted_proxy_count_everyone_shares_the_proxys_budget(client, owner, settings):
    """The misconfiguration this guards against: it is what the wiring below prevents."""
    settings.KEYSERVICE_NUM_PROXIES = 0
    for n in range(12):
        login(client, f"guess-{n}@example.com", "wrong", ATTACKER)

    assert signed_in(login(client.__class__(), owner.email, "pw-owner-123", CUSTOMER)) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "flooder", "neighbour"),
    [
        (64, "2001:db8:aaaa:1::{n:x}", "2001:db8:aaaa:2::1"),  # 12 addresses of one /64
        (56, "2001:db8:aaaa:{n:x}::1", "2001:db8:aaaa:100::1"),  # 12 /64s of one /56
    ],
    ids=["one-64", "one-56-when-configured"],
)
def test_sign_in_failures_from_one_ipv6_client_meet_allauths_limit_and_another_keeps_signing_in(
    client, owner, settings, prefix, flooder, neighbour
):
    """allauth allows 10 failed logins a minute per client: 12 from 12 addresses of one
    client's network (KEYSERVICE_CLIENT_IPV6_PREFIX) meet that limit, so the owner's right
    password from that network is refused too; a client of the next network is not limited.
    The /56 case proves allauth takes the network from keyservice's setting, not its own."""
    settings.KEYSERVICE_NUM_PROXIES = 1
    settings.KEYSERVICE_CLIENT_IPV6_PREFIX = prefix
    for n in range(1, 13):
        login(client.__class__(), f"guess-{n}@example.com", "wrong", flooder.format(n=n))

    same = login(client.__class__(), owner.email, "pw-owner-123", flooder.format(n=0xFF))
    other = login(client.__class__(), owner.email, "pw-owner-123", neighbour)
    assert signed_in(same) is None
    assert signed_in(other) == str(owner.pk)


@pytest.mark.parametrize(
    ("forwarded", "identity"),
    [
        ("2001:db8:aaaa:1:2:3:4:5", "2001:db8:aaaa:1::/64"),
        ("[2001:DB8:AAAA:1::9]:443", "2001:db8:aaaa:1::/64"),
        ("198.51.100.7:4000", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
    ],
)
def test_sign_in_counts_a_client_exactly_as_the_api_does(rf, settings, forwarded, identity):
    from accounts.adapters import AccountAdapter
    from core.clientip import client_identity

    settings.KEYSERVICE_NUM_PROXIES = 1
    request = rf.post("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert AccountAdapter(request).get_client_ip(request) == identity
    assert client_identity(request.META) == identity


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
        "print(json.dumps([s.KEYSERVICE_NUM_PROXIES, s.ALLAUTH_TRUSTED_PROXY_COUNT, "
        "s.ACCOUNT_ADAPTER]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [
        2,
        2,
        "accounts.adapters.AccountAdapter",  # whose get_client_ip is core.clientip's identity
    ]
