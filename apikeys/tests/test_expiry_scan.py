"""The expiry scan (apikeys.expiry): each reminder queued once, each expiry recorded once;
reminders are moot once the key was rotated or revoked."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apikeys.expiry import apikey_expiry_scan
from apikeys.models import ApiKey, KeyEvent
from apikeys.revocation import apikey_revoke_own
from apikeys.services import apikey_issue
from outbox.models import OutboxEmail
from outbox.services import outbox_deliver

pytestmark = pytest.mark.django_db
WEEK, DAY = ApiKey.EmailKind.EXPIRY_WEEK, ApiKey.EmailKind.EXPIRY_DAY


def reminders(api_key, kind=None):
    rows = OutboxEmail.objects.filter(subject_id=api_key.pk, kind__in=[WEEK, DAY])
    return rows.filter(kind=kind) if kind else rows


@pytest.fixture
def expiring(owner):
    return apikey_issue(user=owner, lifetime_days=30).api_key


def test_a_30_day_key_gets_the_7_day_reminder_then_the_1_day_reminder_each_once(expiring):
    expires = expiring.expires_at
    assert apikey_expiry_scan(now=expires - timedelta(days=8)).week_reminders == 0
    for _ in range(3):
        apikey_expiry_scan(now=expires - timedelta(days=6, hours=23))
    assert reminders(expiring, WEEK).count() == 1
    assert not reminders(expiring, DAY).exists()
    for _ in range(3):
        apikey_expiry_scan(now=expires - timedelta(hours=23))
    assert reminders(expiring, WEEK).count() == 1
    assert reminders(expiring, DAY).count() == 1
    assert reminders(expiring).values("recipient").distinct().get()["recipient"] == (
        expiring.user.email
    )


def test_the_reminders_name_the_hint_and_expiry_and_never_the_key(owner):
    issued = apikey_issue(user=owner, lifetime_days=30)
    mail.outbox.clear()
    apikey_expiry_scan(now=issued.api_key.expires_at - timedelta(days=3))
    [row] = reminders(issued.api_key)
    outbox_deliver(email_id=row.pk)
    [message] = mail.outbox
    assert message.subject == "Your keyservice API key expires in 7 days"
    assert issued.api_key.hint in message.body
    assert f"{issued.api_key.expires_at:%Y-%m-%d %H:%M} UTC" in message.body
    assert issued.plaintext not in message.body
    assert KeyEvent.objects.filter(
        key=issued.api_key, kind="emailed", detail="7-day expiry reminder"
    ).exists()


def test_a_key_first_seen_in_its_last_day_gets_only_the_1_day_reminder(expiring):
    scan = apikey_expiry_scan(now=expiring.expires_at - timedelta(hours=5))
    assert (scan.week_reminders, scan.day_reminders) == (0, 1)
    apikey_expiry_scan(now=expiring.expires_at - timedelta(hours=1))
    assert list(reminders(expiring).values_list("kind", flat=True)) == [DAY]


def test_an_expired_key_gets_one_expired_event_from_the_system_and_no_reminder(expiring):
    after = expiring.expires_at + timedelta(minutes=3)
    assert apikey_expiry_scan(now=after).expired == 1
    assert apikey_expiry_scan(now=after + timedelta(hours=1)).expired == 0
    [event] = KeyEvent.objects.filter(key=expiring, kind="expired")
    assert event.actor is None and event.user == expiring.user
    assert event.detail == f"expired at {expiring.expires_at:%Y-%m-%d %H:%M:%S} UTC"
    assert not reminders(expiring).exists()


def test_keys_that_never_expire_or_were_rotated_get_no_reminder_and_no_event(owner, outsider):
    never = apikey_issue(user=outsider, lifetime_days=None).api_key
    rotated = apikey_issue(user=owner, lifetime_days=30).api_key
    apikey_issue(user=owner, lifetime_days=365)
    now = rotated.expires_at - timedelta(days=2)
    scan = apikey_expiry_scan(now=now)
    assert (scan.week_reminders, scan.day_reminders, scan.expired) == (0, 0, 0)
    apikey_expiry_scan(now=rotated.expires_at + timedelta(days=1))
    assert not KeyEvent.objects.filter(kind="expired", key__in=[never, rotated]).exists()


def test_a_reminder_queued_before_the_key_was_revoked_is_skipped_not_sent(owner):
    api_key = apikey_issue(user=owner, lifetime_days=30).api_key
    apikey_expiry_scan(now=api_key.expires_at - timedelta(days=3))
    [row] = reminders(api_key)
    apikey_revoke_own(user=owner, actor=owner)
    mail.outbox.clear()
    outbox_deliver(email_id=row.pk)
    row.refresh_from_db()
    assert row.state == "skipped"
    assert row.last_error == "the key was rotated or revoked before the reminder was sent"
    assert mail.outbox == []


def test_a_reminder_still_pending_when_the_key_expired_is_skipped(owner, settings):
    api_key = apikey_issue(user=owner, lifetime_days=30).api_key
    apikey_expiry_scan(now=api_key.expires_at - timedelta(hours=2))
    [row] = reminders(api_key)
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    outbox_deliver(email_id=row.pk)
    row.refresh_from_db()
    assert (row.state, row.last_error) == (
        "skipped",
        "the key expired before the reminder was sent",
    )


def test_the_scan_works_in_small_batches(owner, full_member, readonly_member, outsider):
    keys = [
        apikey_issue(user=u, lifetime_days=30).api_key
        for u in (owner, full_member, readonly_member, outsider)
    ]
    now = max(k.expires_at for k in keys) - timedelta(days=3)
    assert apikey_expiry_scan(now=now, batch_size=1).week_reminders == 4
    assert OutboxEmail.objects.filter(kind=WEEK).count() == 4
