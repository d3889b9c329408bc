"""The anonymous endpoints have a global budget, all clients together (issue 22, item 3): a
flood from many addresses (many IPv6 /64s cost an attacker nothing) gets a bounded amount of
work done, and is answered with the API's 429 and Retry-After. Like every limit, it fails
open when the cache is down."""

from __future__ import annotations

import json
import logging

import pytest

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
RATE_LIMITED = {"message": "Rate limit exceeded. Try again in 2 minutes."}
REVOKE = "/pixelStripeApi/keys/revoke"
GITHUB = "/pixelStripeApi/keys/github-secret-scanning"


@pytest.fixture
def rates(settings):
    """Small budgets for the test (the per-client limits stay at their defaults)."""

    def configure(**scopes: str) -> None:
        settings.KEYSERVICE_NUM_PROXIES = 1
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **scopes,
            },
        }

    return configure


def report(client, forwarded: str):
    return client.post(
        REVOKE,
        json.dumps({"keys": ["something found"]}),
        content_type="application/json",
        secure=True,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def unsigned(client, forwarded: str):
    return client.post(
        GITHUB,
        b'[{"token": "x"}]',
        content_type="application/json",
        secure=True,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def assert_rate_limited(response, period: int) -> None:
    assert (response.status_code, response.json()) == (429, RATE_LIMITED)
    assert 1 <= int(response["Retry-After"]) <= period


def test_reports_from_many_clients_meet_the_revocation_endpoints_global_budget(client, rates):
    rates(key_reports_global="5/60s")

    answers = [report(client, f"2001:db8:{n:x}::1") for n in range(1, 8)]  # 7 /64s

    assert [a.status_code for a in answers] == [202] * 5 + [429] * 2
    assert_rate_limited(answers[-1], 60)


def test_a_client_past_its_own_limit_spends_nothing_of_the_global_budget(client, rates):
    rates(key_reports_client="2/60s", key_reports_global="4/60s")

    flooder = [report(client, "198.51.100.7").status_code for _ in range(10)]
    others = [report(client, f"203.0.113.{n}").status_code for n in range(1, 4)]

    assert flooder == [202, 202] + [429] * 8
    assert others == [202, 202, 429]  # 2 of the 4 left for everyone else


def test_the_github_endpoint_has_a_global_budget_checked_before_any_signature(client, rates):
    rates(github_scanning_global="3/60s")

    answers = [unsigned(client, f"2001:db8:{n:x}::1") for n in range(1, 6)]

    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    assert answers[0].json() == {"message": "Unauthorized: Missing signature"}
    assert_rate_limited(answers[-1], 60)


def test_the_openapi_schema_has_a_global_budget(client, rates):
    rates(schema_global="2/60s")

    answers = [
        client.get("/api/schema/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(1, 4)
    ]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1]["Content-Type"] == "application/json"
    assert_rate_limited(answers[-1], 60)


def test_the_global_budgets_fail_open_when_the_cache_is_down(
    client, rates, redis_cache, caplog, outage_warning_due
):
    rates(key_reports_global="1/60s", github_scanning_global="1/60s", schema_global="1/60s")
    redis_cache.stop()

    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        reports = [report(client, f"2001:db8:{n:x}::1").status_code for n in range(1, 4)]
        github = [unsigned(client, f"2001:db8:{n:x}::1").status_code for n in range(1, 4)]
        schema = [client.get("/api/schema/").status_code for _ in range(3)]

    assert (reports, github, schema) == ([202] * 3, [401] * 3, [200] * 3)
    assert "not applied: the cache is unavailable" in caplog.text
