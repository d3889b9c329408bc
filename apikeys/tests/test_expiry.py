"""Key expiry (apikeys.lifetime, apikeys.verifier.credentials): a key with a lifetime is refused
from its expiry instant on, on every surface, by the one verifier query, with a frozen clock."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from apikeys.lifetime import lifetime_choices
from apikeys.models import ApiKey, KeyEvent
from apikeys.refusals import KeyRefusal
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import VerifyFailure, apikey_verify
from core.errors import ApplicationError
from tests.support.api import DETAIL, LIST

pytestmark = pytest.mark.django_db
ISSUED_AT = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def internal_verify(client, token, **body):
    return client.post(
        "/internal/v1/verify",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def expiring(owner):
    """The owner's key, issued at ISSUED_AT with a 30-day lifetime."""
    with freeze_time(ISSUED_AT):
        return apikey_issue(user=owner, lifetime_days=30)


def test_a_30_day_key_expires_30_days_after_it_was_issued(expiring):
    assert expiring.api_key.expires_at == ISSUED_AT + timedelta(days=30)
    event = KeyEvent.objects.get(key=expiring.api_key, kind="issued")
    assert event.detail == "expires after 30 days"


def test_a_key_works_one_second_before_its_expiry_and_not_one_second_after_on_the_public_api(
    client, owner, showroom, expiring
):
    expires = expiring.api_key.expires_at
    key, user_id = expiring.plaintext, owner.public_id
    with freeze_time(expires - SECOND):
        assert (
            DETAIL.call(
                client, api_key=key, user_id=user_id, project_id=showroom.public_id
            ).status_code
            == 200
        )
        assert LIST.call(client, api_key=key, user_id=user_id).status_code == 200
    with freeze_time(expires + SECOND):
        for response in (
            DETAIL.call(client, api_key=key, user_id=user_id, project_id=showroom.public_id),
            LIST.call(client, api_key=key, user_id=user_id),
        ):
            assert (response.status_code, response.json()) == (
                401,
                {"message": "Unauthorized: Invalid API Key"},
            )


def test_an_expired_key_is_refused_by_internal_verify_in_one_query(
    client, owner, showroom, expiring
):
    token = service_token_create(name="build-pipeline").plaintext
    body = {
        "apiKey": expiring.plaintext,
        "userId": owner.public_id,
        "projectId": showroom.public_id,
        "access": "read",
    }
    expires = expiring.api_key.expires_at
    with freeze_time(expires - SECOND):
        assert internal_verify(client, token, **body).status_code == 200
    with freeze_time(expires + SECOND), CaptureQueriesContext(connection) as queries:
        response = internal_verify(client, token, **body)
    assert (response.status_code, response.json()) == (
        401,
        {"message": "Unauthorized: Invalid API Key"},
    )
    assert len(queries) == 1  # the one verifier query, expiry included


def test_the_expiry_instant_itself_is_already_refused(owner, expiring):
    with freeze_time(expiring.api_key.expires_at):
        result = apikey_verify(key=expiring.plaintext, user_public_id=owner.public_id)
    assert result.failure is VerifyFailure.INVALID_KEY


def test_verification_carries_the_keys_expiry_so_a_cache_can_bound_its_answer(
    owner, showroom, expiring
):
    with freeze_time(ISSUED_AT), CaptureQueriesContext(connection) as queries:
        result = apikey_verify(
            key=expiring.plaintext,
            user_public_id=owner.public_id,
            project_public_id=showroom.public_id,
        )
    assert result.ok and result.key_expires_at == expiring.api_key.expires_at
    assert len(queries) == 1


def test_a_key_that_never_expires_verifies_with_no_expiry(owner):
    issued = apikey_issue(user=owner, lifetime_days=None)
    assert issued.api_key.expires_at is None
    result = apikey_verify(key=issued.plaintext, user_public_id=owner.public_id)
    assert result.ok and result.key_expires_at is None


def test_without_a_cap_the_lifetimes_offered_are_30_90_365_days_and_never(settings):
    settings.KEYSERVICE_KEY_MAX_LIFETIME_DAYS = None
    assert lifetime_choices() == [30, 90, 365, None]


@pytest.mark.parametrize(
    ("cap", "offered"), [(90, [30, 90]), (365, [30, 90, 365]), (60, [30, 60]), (7, [7])]
)
def test_a_cap_offers_only_lifetimes_up_to_it_and_never_never(settings, cap, offered):
    settings.KEYSERVICE_KEY_MAX_LIFETIME_DAYS = cap
    assert lifetime_choices() == offered


@pytest.mark.parametrize("days", [None, 365, 91, 12])
def test_a_lifetime_beyond_the_cap_or_not_offered_is_refused_and_issues_nothing(
    settings, owner, days
):
    settings.KEYSERVICE_KEY_MAX_LIFETIME_DAYS = 90
    with pytest.raises(ApplicationError) as refused:
        apikey_issue(user=owner, lifetime_days=days)
    assert refused.value.reason is KeyRefusal.LIFETIME_NOT_ALLOWED
    assert "90 days at most" in refused.value.message
    assert not ApiKey.objects.exists()


def test_an_issuer_choosing_no_lifetime_gets_the_cap_when_there_is_one(settings, owner):
    settings.KEYSERVICE_KEY_MAX_LIFETIME_DAYS = 90
    with freeze_time(ISSUED_AT):
        issued = apikey_issue(user=owner)
    assert issued.api_key.expires_at == ISSUED_AT + timedelta(days=90)
    settings.KEYSERVICE_KEY_MAX_LIFETIME_DAYS = None
    assert apikey_issue(user=owner).api_key.expires_at is None


def test_requesting_a_new_key_after_expiry_works_and_the_new_key_is_accepted(owner, expiring):
    with freeze_time(expiring.api_key.expires_at + timedelta(days=2)):
        fresh = apikey_issue(user=owner, lifetime_days=90)
        assert apikey_verify(key=fresh.plaintext, user_public_id=owner.public_id).ok
        assert not apikey_verify(key=expiring.plaintext, user_public_id=owner.public_id).ok
