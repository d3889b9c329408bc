"""Failed authentications are limited per client address, behind the documented proxy too,
and never refuse a request whose credentials are valid (issue 9, item 6)."""

from __future__ import annotations

import pytest
import yaml
from django.utils import timezone

from apikeys import crypto
from apikeys.models import ApiKey, Scope
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from tests.support.api import DETAIL, LIST, UPLOAD, VALID_ZIP
from tests.support.services import ROOT

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the TLS proxy: every request reaches gunicorn from this address
FLOODER, NEIGHBOUR = "203.0.113.7", "198.51.100.20"
INVALID_KEY = {"message": "Unauthorized: Invalid API Key"}
RATE_LIMITED = {"message": "Rate limit exceeded. Try again in 2 minutes."}


@pytest.fixture
def behind_proxy(settings):
    """One trusted proxy (as compose configures it) and a small flood limit."""

    def configure(flood_rate: str = "3/120s", num_proxies: int = 1) -> None:
        settings.KEYSERVICE_NUM_PROXIES = num_proxies
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "auth_failures_client": flood_rate,
            },
        }

    return configure


def detail(client, project, *, api_key, user_id, xff=None, remote=PROXY):
    extra = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    return client.get(
        f"/pixelStripeApi/projects/{project.public_id}",
        {"apikey": api_key, "userId": user_id},
        secure=True,
        REMOTE_ADDR=remote,
        **extra,
    )


def wrong_key(client, project, user_id, **where):
    """A request with a well-formed key nobody holds (a failed authentication)."""
    return detail(client, project, api_key=crypto.generate_key(), user_id=user_id, **where)


def flood(client, project, user_id, xff, times=4):
    return [wrong_key(client, project, user_id, xff=xff) for _ in range(times)]


def test_one_clients_flood_behind_the_proxy_leaves_other_clients_valid_and_invalid_requests_alone(
    client, behind_proxy, owner, showroom, outsider
):
    behind_proxy("3/120s")
    statuses = [r.status_code for r in flood(client, showroom, owner.public_id, FLOODER)]
    assert statuses == [401, 401, 401, 429]

    key = apikey_issue(user=owner).plaintext
    ok = detail(client, showroom, api_key=key, user_id=owner.public_id, xff=NEIGHBOUR)
    assert ok.status_code == 200
    stale = wrong_key(client, showroom, outsider.public_id, xff=NEIGHBOUR)
    assert (stale.status_code, stale.json()) == (401, INVALID_KEY)


def test_a_valid_key_is_served_while_its_own_address_is_over_the_failure_budget(
    client, behind_proxy, owner, showroom
):
    behind_proxy("2/120s")
    key = apikey_issue(user=owner).plaintext
    refused = flood(client, showroom, owner.public_id, FLOODER)[-1]
    assert (refused.status_code, refused.json()) == (429, RATE_LIMITED)
    assert 1 <= int(refused["Retry-After"]) <= 120

    for _ in range(3):
        response = detail(client, showroom, api_key=key, user_id=owner.public_id, xff=FLOODER)
        assert response.status_code == 200
    listing = client.get(
        LIST.path,
        {"apikey": key, "userId": owner.public_id},
        secure=True,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=FLOODER,
    )
    assert listing.status_code == 200
    upload = UPLOAD.call(
        client,
        api_key=key,
        user_id=owner.public_id,
        project_id=showroom.public_id,
        fileUrl=VALID_ZIP,
    )
    assert upload.status_code == 200


def test_a_spoofed_leftmost_x_forwarded_for_entry_does_not_dodge_the_limit(
    client, behind_proxy, owner, showroom
):
    behind_proxy("3/120s")
    # The client sends its own X-Forwarded-For; the proxy appends the address it saw.
    statuses = [
        wrong_key(client, showroom, owner.public_id, xff=f"192.0.2.{i}, 10.9.9.{i}, {FLOODER}")
        for i in range(6)
    ]
    statuses = [response.status_code for response in statuses]
    assert statuses == [401, 401, 401, 429, 429, 429]
    # ... and cannot borrow a neighbour's budget by naming it either.
    spoofed = wrong_key(client, showroom, owner.public_id, xff=f"{NEIGHBOUR}, {FLOODER}")
    assert spoofed.status_code == 429
    neighbour = wrong_key(client, showroom, owner.public_id, xff=NEIGHBOUR)
    assert neighbour.status_code == 401


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(client, behind_proxy, owner, showroom):
    behind_proxy("2/120s", num_proxies=0)
    statuses = [
        wrong_key(client, showroom, owner.public_id, xff=f"192.0.2.{i}", remote=FLOODER)
        for i in range(3)
    ]
    statuses = [response.status_code for response in statuses]
    assert statuses == [401, 401, 429]


def test_a_stale_key_integration_keeps_getting_the_documented_401_at_default_rates(
    client, owner, showroom
):
    """A rotated key polled every few seconds for two minutes (40 requests) from one address,
    and the same userId from many addresses: 401 every time, never 429 (no per-userId budget,
    a generous per-address flood limit)."""
    old = apikey_issue(user=owner)
    ApiKey.objects.filter(pk=old.api_key.pk).update(revoked_at=timezone.now())
    for _ in range(40):
        response = DETAIL.call(
            client, api_key=old.plaintext, user_id=owner.public_id, project_id=showroom.public_id
        )
        assert (response.status_code, response.json()) == (401, INVALID_KEY)
    for i in range(40):
        response = detail(
            client, showroom, api_key=old.plaintext, user_id=owner.public_id, remote=f"10.3.0.{i}"
        )
        assert (response.status_code, response.json()) == (401, INVALID_KEY)


def test_malformed_keys_are_rejected_without_a_query_even_when_flooding(
    client, behind_proxy, owner, showroom, django_assert_num_queries
):
    behind_proxy("2/120s")
    with django_assert_num_queries(0):
        statuses = [
            detail(
                client, showroom, api_key="spx_nope", user_id=owner.public_id, xff=FLOODER
            ).status_code
            for _ in range(3)
        ]
    assert statuses == [401, 401, 429]


def test_the_secret_scanner_with_a_valid_token_is_served_from_a_flooding_address(
    client, behind_proxy, owner, showroom
):
    behind_proxy("2/120s")
    scanner = service_token_create(name="scanner", scopes=Scope.values).plaintext
    leaked = apikey_issue(user=owner).plaintext
    headers = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": FLOODER}

    def revoke(token: str):
        return client.post(
            "/internal/v1/keys/revoke-leaked",
            {"keys": [leaked]},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            **headers,
        )

    wrong = [revoke(f"kst_{'x' * 43}").status_code for _ in range(3)]
    assert wrong == [401, 401, 429]
    served = revoke(scanner)
    assert served.status_code == 200 and served.json()["count"] == 1


def test_compose_counts_clients_behind_the_documented_tls_proxy():
    """web trusts exactly one proxy, the compose file's own TLS proxy (Caddy), keeping the
    rest of the app environment."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web = compose["services"]["web"]["environment"]
    assert web["KEYSERVICE_NUM_PROXIES"] == "1"
    assert "DJANGO_SECRET_KEY" in web and "DATABASE_URL" in web
