"""The optional overlap on renewal (apikeys.overlap, apikeys.revocation): off by default (the
platform's contract: the previous key stops at once); when an operator allows it, a renewal
may keep the previous key working until an instant, after which every surface refuses it;
another request, revoking, an operator, a leak report or "Stop the previous key now" end it
early; the audit trail and the lifecycle events say what happened."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from apikeys.expiry import apikey_expiry_scan
from apikeys.leaks.services import apikey_revoke_leaked
from apikeys.models import ApiKey, KeyEvent
from apikeys.overlap import overlap_choices, overlap_label
from apikeys.refusals import KeyRefusal
from apikeys.revocation import apikey_overlap_end_own, apikey_revoke, apikey_revoke_own
from apikeys.selectors import apikey_overlapping_for
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import VerifyFailure, apikey_verify
from apikeys.verifier.tests.verifycache_support import verify
from core.errors import ApplicationError
from lifecycle.events import KeyRevokeReason
from lifecycle.tests.conftest import emitted, make_subscriber
from tests.support.api import DETAIL

pytestmark = pytest.mark.django_db
RENEWED_AT = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
HOUR = 3600
SECOND = timedelta(seconds=1)


@pytest.fixture
def listening(receiver):
    """A lifecycle subscriber of every event (so that events are recorded)."""
    return make_subscriber(receiver)[0]


@pytest.fixture
def overlap_allowed(settings):
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 86400


@pytest.fixture
def renewed(owner, overlap_allowed):
    """Olivia's first key, then a second requested at RENEWED_AT keeping the first for 1 hour:
    (first plaintext, second plaintext)."""
    with freeze_time(RENEWED_AT - timedelta(days=1)):
        first = apikey_issue(user=owner).plaintext
    with freeze_time(RENEWED_AT):
        second = apikey_issue(user=owner, overlap_seconds=HOUR).plaintext
    return first, second


def works(key, owner, showroom=None) -> bool:
    project = None if showroom is None else showroom.public_id
    return apikey_verify(key=key, user_public_id=owner.public_id, project_public_id=project).ok


def test_the_operators_maximum_decides_the_overlaps_offered(settings):
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 0
    assert overlap_choices() == []
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 86400
    assert overlap_choices() == [300, 3600, 86400]
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 2 * HOUR
    assert overlap_choices() == [300, 3600, 7200]
    assert [overlap_label(s) for s in (300, 3600, 7200, 86400, 604800)] == [
        "5 minutes",
        "1 hour",
        "2 hours",
        "1 day",
        "1 week",
    ]


def test_by_default_no_overlap_is_accepted_and_nothing_is_written(owner):
    first = apikey_issue(user=owner).plaintext
    with pytest.raises(ApplicationError) as refused:
        apikey_issue(user=owner, overlap_seconds=HOUR)
    assert refused.value.reason is KeyRefusal.OVERLAP_NOT_ALLOWED
    assert ApiKey.objects.filter(user=owner).count() == 1
    assert works(first, owner)


def test_an_overlap_above_the_maximum_is_refused(owner, settings):
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = HOUR
    apikey_issue(user=owner)
    with pytest.raises(ApplicationError) as refused:
        apikey_issue(user=owner, overlap_seconds=86400)
    assert refused.value.reason is KeyRefusal.OVERLAP_NOT_ALLOWED


def test_both_keys_work_until_the_overlaps_end_and_the_old_one_not_a_second_later(
    client, owner, showroom, renewed
):
    first, second = renewed
    end = RENEWED_AT + timedelta(seconds=HOUR)
    with freeze_time(end - SECOND):
        assert works(first, owner, showroom) and works(second, owner, showroom)
        response = DETAIL.call(
            client, api_key=first, user_id=owner.public_id, project_id=showroom.public_id
        )
        assert response.status_code == 200
    with freeze_time(end):
        assert apikey_verify(key=first, user_public_id=owner.public_id).failure is (
            VerifyFailure.INVALID_KEY
        )
        response = DETAIL.call(
            client, api_key=first, user_id=owner.public_id, project_id=showroom.public_id
        )
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized: Invalid API Key"}
        assert works(second, owner, showroom)


def test_the_renewal_is_audited_and_announced_as_retiring_not_revoked(listening, owner, renewed):
    old = ApiKey.objects.filter(user=owner).order_by("pk").first()
    started = KeyEvent.objects.get(key=old, kind=KeyEvent.Kind.OVERLAP_STARTED)
    assert started.detail == ("a new key was requested; this one works until 2026-03-01 13:00 UTC")
    issued = KeyEvent.objects.filter(kind=KeyEvent.Kind.ISSUED).latest("pk")
    assert issued.detail == "the previous key works for 1 hour more"
    assert emitted("key.retiring") == [
        {"userId": owner.public_id, "keyHint": old.hint, "workingUntil": "2026-03-01T13:00:00.000Z"}
    ]
    assert [d["keyHint"] for d in emitted("key.revoked")] == []


def test_the_expiry_scan_records_the_end_once_after_the_instant(listening, owner, renewed):
    old = ApiKey.objects.filter(user=owner).order_by("pk").first()
    end = RENEWED_AT + timedelta(seconds=HOUR)
    assert apikey_expiry_scan(now=end - SECOND).overlaps_ended == 0
    assert apikey_expiry_scan(now=end).overlaps_ended == 1
    assert apikey_expiry_scan(now=end + SECOND).overlaps_ended == 0
    ended = KeyEvent.objects.get(key=old, kind=KeyEvent.Kind.OVERLAP_ENDED)
    assert ended.detail == "its overlap ended at 2026-03-01 13:00 UTC"
    assert emitted("key.revoked") == [
        {"userId": owner.public_id, "keyHint": old.hint, "reason": "rotated"}
    ]
    old.refresh_from_db()
    assert old.overlap_until is None


def test_another_request_ends_the_overlap_at_once(listening, owner, renewed):
    first, second = renewed
    with freeze_time(RENEWED_AT + timedelta(minutes=10)):
        third = apikey_issue(user=owner, overlap_seconds=300).plaintext
        assert not works(first, owner)  # the overlap of the first ended now
        assert works(second, owner) and works(third, owner)  # the second has its own
    old = ApiKey.objects.filter(user=owner).order_by("pk").first()
    ended = KeyEvent.objects.get(key=old, kind=KeyEvent.Kind.OVERLAP_ENDED)
    assert ended.detail == "its overlap was ended early: a newer key was requested"
    assert {"userId": owner.public_id, "keyHint": old.hint, "reason": "rotated"} in emitted(
        "key.revoked"
    )


def test_revoking_my_key_also_stops_the_previous_one(owner, renewed):
    first, second = renewed
    with freeze_time(RENEWED_AT + timedelta(minutes=1)):
        apikey_revoke_own(user=owner, actor=owner)
        assert not works(first, owner) and not works(second, owner)
        assert apikey_overlapping_for(user=owner) is None


def test_stop_the_previous_key_now_ends_it_and_says_so_once(owner, renewed):
    first, second = renewed
    with freeze_time(RENEWED_AT + timedelta(minutes=1)):
        assert apikey_overlap_end_own(user=owner, actor=owner) == 1
        assert apikey_overlap_end_own(user=owner, actor=owner) == 0
        assert not works(first, owner) and works(second, owner)
    assert KeyEvent.objects.filter(kind=KeyEvent.Kind.OVERLAP_ENDED).count() == 1


def test_an_operator_revoking_the_previous_key_ends_its_overlap(listening, owner, renewed):
    first, _ = renewed
    old = ApiKey.objects.filter(user=owner).order_by("pk").first()
    with freeze_time(RENEWED_AT + timedelta(minutes=1)):
        assert apikey_revoke(api_key=old, reason=KeyRevokeReason.REVOKED_BY_OPERATOR)
        assert not works(first, owner)
    assert emitted("key.revoked")[-1]["reason"] == "revoked_by_operator"


def test_a_leak_report_of_the_previous_key_stops_it(owner, renewed):
    first, second = renewed
    with freeze_time(RENEWED_AT + timedelta(minutes=1)):
        assert apikey_revoke_leaked(keys=[first], reported_by="github-secret-scanning")
        assert not works(first, owner) and works(second, owner)
    ended = KeyEvent.objects.get(kind=KeyEvent.Kind.OVERLAP_ENDED)
    assert ended.detail == "its overlap was ended early: reported leaked by github-secret-scanning"


def test_a_cached_answer_for_the_previous_key_ends_at_the_overlaps_instant(
    client, owner, showroom, token, settings, verify_leases, committed
):
    """The verify cache honours the overlap's end as it honours expiry: an entry stored while
    the key worked is not served past it, with no write to tell the cache."""
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 2
    with committed():
        first = apikey_issue(user=owner).plaintext
    with committed():
        apikey_issue(user=owner, overlap_seconds=2)
    until = ApiKey.objects.get(user=owner, overlap_until__isnull=False).overlap_until
    for _ in range(3):  # stored, then served from memory
        assert verify(client, token, first, owner, showroom).status_code == 200
    assert datetime.now(UTC) < until
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 0.05)
    response = verify(client, token, first, owner, showroom)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized: Invalid API Key"}


def new_key_email_body(api_key: ApiKey) -> str:
    from apikeys.emails import ApiKeyEmail
    from outbox.models import OutboxEmail

    row = OutboxEmail.objects.get(kind=ApiKey.EmailKind.NEW_KEY, subject_id=api_key.pk)
    return str(ApiKeyEmail().message(row).body)


def test_the_new_key_email_says_until_when_the_previous_key_works(owner, overlap_allowed):
    old = apikey_issue(user=owner).api_key
    new = apikey_issue(user=owner, overlap_seconds=HOUR).api_key
    old.refresh_from_db()
    body = new_key_email_body(new)
    assert (
        f"Your previous key ending in {old.hint} keeps working until "
        f"{old.overlap_until:%Y-%m-%d %H:%M} UTC, then stops" in body
    )
    newest = apikey_issue(user=owner).api_key
    assert "Your previous key, if you had one, has stopped working." in new_key_email_body(newest)


def test_an_overlap_never_outlives_the_previous_keys_expiry(owner, overlap_allowed):
    with freeze_time(RENEWED_AT - timedelta(days=30)):
        first = apikey_issue(user=owner, lifetime_days=30).plaintext  # expires at RENEWED_AT
    with freeze_time(RENEWED_AT - timedelta(minutes=10)):
        apikey_issue(user=owner, overlap_seconds=HOUR)
        issued = KeyEvent.objects.filter(kind=KeyEvent.Kind.ISSUED).latest("pk")
        assert issued.detail == "the previous key works until its expiry"
    old = ApiKey.objects.filter(user=owner).order_by("pk").first()
    assert old.overlap_until == RENEWED_AT
    with freeze_time(RENEWED_AT - SECOND):
        assert works(first, owner)
    with freeze_time(RENEWED_AT):
        assert not works(first, owner)


def test_renewing_an_expired_key_keeps_nothing_working(owner, overlap_allowed):
    with freeze_time(RENEWED_AT - timedelta(days=31)):
        apikey_issue(user=owner, lifetime_days=30)
    with freeze_time(RENEWED_AT):
        apikey_issue(user=owner, overlap_seconds=HOUR)
        assert apikey_overlapping_for(user=owner) is None
    old = ApiKey.objects.filter(user=owner).order_by("pk").first()
    assert old.overlap_until is None and old.revoked_at == RENEWED_AT
    issued = KeyEvent.objects.filter(kind=KeyEvent.Kind.ISSUED).latest("pk")
    assert issued.detail == ""
