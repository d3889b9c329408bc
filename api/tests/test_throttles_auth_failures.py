"""Repeated authentication failures are throttled without locking legitimate users out.

More, behind a proxy and against spoofed X-Forwarded-For: api/tests/test_failure_budget.py.
"""

import pytest

from apikeys import crypto
from apikeys.services import apikey_issue
from tests.support.api import DETAIL

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(client_rate: str) -> None:
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "auth_failures_client": client_rate},
        }

    return set_rates


def test_guessing_keys_from_one_address_turns_401_into_429(client, rates, owner, showroom):
    rates("3/120s")
    creds = {"user_id": owner.public_id, "project_id": showroom.public_id}
    statuses = [
        DETAIL.call(client, api_key=crypto.generate_key(), **creds).status_code for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    response = DETAIL.call(client, api_key=crypto.generate_key(), **creds)
    assert response.json() == {"message": "Rate limit exceeded. Try again in 2 minutes."}
    assert 1 <= int(response["Retry-After"]) <= 120


def test_failures_for_one_user_id_from_many_addresses_stay_401(client, rates, owner, showroom):
    """No per-userId budget: it would protect nothing against 256-bit keys and would turn a
    rotated-key integration's documented 401 into 429."""
    rates("3/120s")
    for i in range(10):
        response = client.get(
            f"/pixelStripeApi/projects/{showroom.public_id}",
            {"apikey": crypto.generate_key(), "userId": owner.public_id},
            secure=True,
            REMOTE_ADDR=f"10.7.0.{i}",
        )
        assert response.status_code == 401


def test_the_owner_of_a_throttled_user_id_still_gets_in_with_the_right_key(
    client, rates, owner, showroom
):
    rates("2/120s")
    creds = {"user_id": owner.public_id, "project_id": showroom.public_id}
    for _ in range(4):
        DETAIL.call(client, api_key=crypto.generate_key(), **creds)
    key = apikey_issue(user=owner).plaintext
    assert DETAIL.call(client, api_key=key, **creds).status_code == 200


def test_a_flooding_address_with_valid_credentials_is_served_and_its_failures_stay_429(
    client, rates, owner, showroom
):
    rates("3/120s")
    key = apikey_issue(user=owner).plaintext
    creds = {"user_id": owner.public_id, "project_id": showroom.public_id}
    for _ in range(3):
        assert DETAIL.call(client, api_key="spx_wrong", **creds).status_code == 401
    assert DETAIL.call(client, api_key=key, **creds).status_code == 200
    response = DETAIL.call(client, api_key="spx_wrong", **creds)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 120  # a window, never a permanent lock


def test_other_client_addresses_are_not_affected(client, rates, owner, showroom):
    rates("2/120s")
    creds = {"user_id": owner.public_id, "project_id": showroom.public_id}
    for _ in range(3):
        DETAIL.call(client, api_key="spx_wrong", **creds)
    key = apikey_issue(user=owner).plaintext
    for api_key, status in ((key, 200), ("spx_wrong", 401)):
        response = client.get(
            f"/pixelStripeApi/projects/{showroom.public_id}",
            {"apikey": api_key, "userId": owner.public_id},
            secure=True,
            REMOTE_ADDR="10.1.2.3",
        )
        assert response.status_code == status
