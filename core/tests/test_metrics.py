"""Prometheus metrics: the protected /metrics endpoint, what each metric counts, and that no
label ever carries a key, a userId, a projectId or an address."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from core.metrics import metrics_render, verify_cache_count
from core.ratelimit import Rate, ratelimit_hit
from outbox.models import OutboxEmail
from tests.support.api import internal_verify

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-" + "m" * 40


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, token: str | None = TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/metrics", **headers)


def verify(client, service_token: str, **body):
    return internal_verify(client, service_token, extra={"secure": True}, **body)


@pytest.fixture
def metrics_token(settings):
    settings.KEYSERVICE_METRICS_TOKEN = TOKEN
    return TOKEN


def test_without_a_token_configured_the_endpoint_does_not_exist(client, settings):
    settings.KEYSERVICE_METRICS_TOKEN = ""
    assert scrape(client).status_code == 404
    assert scrape(client, None).status_code == 404


def test_a_missing_or_wrong_token_is_refused_and_the_right_one_scrapes(client, metrics_token):
    assert scrape(client, None).status_code == 401
    assert scrape(client, TOKEN + "x").status_code == 401
    assert scrape(client, TOKEN[:-1]).status_code == 401
    wrong_scheme = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    assert wrong_scheme.status_code == 401
    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert b"keyservice_verify_total" in response.content


def test_the_endpoint_is_scraped_over_plain_http_even_with_the_ssl_redirect(
    client, settings, metrics_token
):
    settings.SECURE_SSL_REDIRECT = True
    assert scrape(client).status_code == 200
    assert client.get("/").status_code == 301  # the dashboard still redirects


def test_verify_outcomes_are_counted_by_their_stable_reason_names(client, owner, showroom):
    token = service_token_create(name="build-pipeline").plaintext
    key = apikey_issue(user=owner).plaintext
    before = {o: sample("keyservice_verify_total", outcome=o) for o in ("ok", "invalid_key")}
    before["invalid_user"] = sample("keyservice_verify_total", outcome="invalid_user")
    before["invalid_token"] = sample("keyservice_verify_total", outcome="invalid_token")
    body = {"userId": owner.public_id, "projectId": showroom.public_id, "access": "read"}
    assert verify(client, token, apiKey=key, **body).status_code == 200
    assert verify(client, token, apiKey=key, **body).status_code == 200
    altered = key[:-1] + ("x" if key[-1] != "x" else "y")  # 1 key in 62 ends in "x"
    assert verify(client, token, apiKey=altered, **body).status_code == 401
    other = {**body, "userId": "u" * len(owner.public_id)}
    assert verify(client, token, apiKey=key, **other).status_code == 401
    assert verify(client, "st_" + "0" * 40, apiKey=key, **body).status_code == 401
    assert sample("keyservice_verify_total", outcome="ok") - before["ok"] == 2
    assert sample("keyservice_verify_total", outcome="invalid_key") - before["invalid_key"] == 1
    assert sample("keyservice_verify_total", outcome="invalid_user") - before["invalid_user"] == 1
    assert sample("keyservice_verify_total", outcome="invalid_token") - before["invalid_token"] == 1


def test_every_verify_failure_is_exported_from_the_start_with_ok(client, metrics_token):
    text = scrape(client).content.decode()
    for outcome in (
        "ok",
        "invalid_token",
        "token_lacks_scope",
        "invalid_key",
        "invalid_user",
        "project_not_found",
    ):
        assert f'keyservice_verify_total{{outcome="{outcome}"}}' in text


def test_latency_is_labelled_by_the_url_pattern_never_the_path(client, owner, showroom):
    key = apikey_issue(user=owner).plaintext
    route = "pixelStripeApi/projects/<str:projectId>"
    labels = {"route": route, "method": "GET"}
    before = sample("keyservice_http_request_duration_seconds_count", **labels)
    path = f"/pixelStripeApi/projects/{showroom.public_id}"
    response = client.get(path, {"apikey": key, "userId": owner.public_id}, secure=True)
    assert response.status_code == 200
    assert sample("keyservice_http_request_duration_seconds_count", **labels) - before == 1
    assert sample("keyservice_http_responses_total", **labels, status="200") >= 1


def test_unrouted_paths_and_odd_methods_share_one_series_each(client):
    before = sample(
        "keyservice_http_responses_total", route="unmatched", method="other", status="404"
    )
    client.generic("BREW", "/no/such/path/abc123")
    client.generic("PROPFIND", "/another/xyz")
    after = sample(
        "keyservice_http_responses_total", route="unmatched", method="other", status="404"
    )
    assert after - before == 2


def test_unknown_paths_under_the_api_prefixes_are_unmatched_not_the_catch_all_regex(client):
    before = sample(
        "keyservice_http_responses_total", route="unmatched", method="GET", status="404"
    )
    for path in ("/pixelStripeApi/nope/abc123", "/internal/v1/nope/xyz"):
        assert client.get(path, secure=True).status_code == 404
    after = sample("keyservice_http_responses_total", route="unmatched", method="GET", status="404")
    assert after - before == 2


def test_a_regular_expression_route_is_labelled_by_its_name(client):
    labels = {"route": "account_reset_password_from_key", "method": "GET"}
    before = sample("keyservice_http_request_duration_seconds_count", **labels)
    client.get("/accounts/password/reset/key/1-set-password/")
    assert sample("keyservice_http_request_duration_seconds_count", **labels) - before == 1


def test_the_cache_counter_takes_hit_miss_and_bypass_and_nothing_else():
    before = {
        r: sample("keyservice_verify_cache_total", result=r) for r in ("hit", "miss", "bypass")
    }
    verify_cache_count(result="hit")
    verify_cache_count(result="hit")
    verify_cache_count(result="miss")
    verify_cache_count(result="bypass")
    after = {r: sample("keyservice_verify_cache_total", result=r) for r in before}
    assert {r: after[r] - before[r] for r in before} == {"hit": 2, "miss": 1, "bypass": 1}
    with pytest.raises(ValueError):
        verify_cache_count(result="stale")  # the refusal under test


def test_a_refused_rate_limit_hit_is_counted_by_the_limit_not_the_identity():
    before = sample("keyservice_ratelimit_refusals_total", limit="metrics_test")
    rate = Rate(count=1, seconds=60)
    assert ratelimit_hit(scope="metrics_test", ident="203.0.113.7", rate=rate).allowed
    assert not ratelimit_hit(scope="metrics_test", ident="203.0.113.7", rate=rate).allowed
    assert not ratelimit_hit(scope="metrics_test", ident="203.0.113.7", rate=rate).allowed
    assert sample("keyservice_ratelimit_refusals_total", limit="metrics_test") - before == 2
    assert "203.0.113.7" not in metrics_render().decode()


def test_the_api_flood_limit_counts_its_refusals(client, settings, owner):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth_failures_client": "2/120s",
        },
    }
    before = sample("keyservice_ratelimit_refusals_total", limit="auth_failures_client")
    statuses = [
        client.get(
            "/pixelStripeApi/projects",
            {"apikey": "spx_wrong", "userId": owner.public_id},
            secure=True,
        ).status_code
        for _ in range(4)
    ]
    assert statuses.count(429) == 2
    after = sample("keyservice_ratelimit_refusals_total", limit="auth_failures_client")
    assert after - before == 2


def test_outbox_pending_and_failed_are_counted_from_the_database_at_scrape_time(
    client, metrics_token
):
    for state, n in ((OutboxEmail.State.PENDING, 3), (OutboxEmail.State.FAILED, 2)):
        for i in range(n):
            OutboxEmail.objects.create(kind="api_key", recipient=f"r{i}@example.com", state=state)
    OutboxEmail.objects.create(kind="api_key", recipient="s@example.com", state="sent")
    text = scrape(client).content.decode()
    assert 'keyservice_outbox_emails{state="pending"} 3.0' in text
    assert 'keyservice_outbox_emails{state="failed"} 2.0' in text
    assert 'keyservice_scrape_gauge_up{gauge="keyservice_outbox_emails"} 1.0' in text


def test_a_failing_gauge_is_reported_down_and_the_scrape_still_answers(
    client, metrics_token, monkeypatch
):
    from core import metrics

    def broken() -> dict[str, float]:
        raise RuntimeError("database down")

    gauge = metrics._gauges["keyservice_outbox_emails"]
    monkeypatch.setitem(
        metrics._gauges,
        gauge.name,
        metrics.ScrapeGauge(gauge.name, gauge.documentation, gauge.label, broken),
    )
    response = scrape(client)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'keyservice_scrape_gauge_up{gauge="keyservice_outbox_emails"} 0.0' in text
    assert 'keyservice_verify_total{outcome="ok"}' in text
