"""The expiry scan run concurrently by two real Celery workers on a real Redis broker, sending
through a real SMTP server: exactly one email per key and reminder, one `expired` event each."""

import time
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from apikeys.models import ApiKey, KeyEvent
from apikeys.services import apikey_issue
from apikeys.tasks import apikey_expiry_scan
from outbox.models import OutboxEmail
from tests.support.accounts import verified_user
from tests.support.waiting import wait_until

WEEK_SUBJECT = "Your keyservice API key expires in 7 days"
DAY_SUBJECT = "Your keyservice API key expires tomorrow"
RUNS = 6


def reminders_received(smtp) -> Counter:
    return Counter(
        (m["To"], m["Subject"])
        for m in smtp.messages
        if m["Subject"] in (WEEK_SUBJECT, DAY_SUBJECT)
    )


def test_two_workers_scanning_at_once_send_each_reminder_exactly_once(
    owner, celery_broker, broker_queue, start_worker, smtp
):
    users = [verified_user(f"customer{i}@example.com") for i in range(18)]
    keys = [apikey_issue(user=u, lifetime_days=30).api_key for u in users]
    now = timezone.now()
    week, day, expired = keys[:8], keys[8:14], keys[14:]
    ApiKey.objects.filter(pk__in=[k.pk for k in week]).update(expires_at=now + timedelta(days=3))
    ApiKey.objects.filter(pk__in=[k.pk for k in day]).update(expires_at=now + timedelta(hours=12))
    ApiKey.objects.filter(pk__in=[k.pk for k in expired]).update(
        expires_at=now - timedelta(minutes=1)
    )
    first = start_worker(celery_broker, broker_queue)
    second = start_worker(celery_broker, broker_queue)

    for _ in range(RUNS):  # batches of one key: the runs interleave row by row
        apikey_expiry_scan.delay(batch_size=1)

    expected = Counter(
        {(k.user.email, WEEK_SUBJECT): 1 for k in week}
        | {(k.user.email, DAY_SUBJECT): 1 for k in day}
    )
    assert wait_until(lambda: reminders_received(smtp) == expected, timeout=90), (
        reminders_received(smtp),
        first.output()[-3000:],
    )
    finished = "Task apikeys.tasks.apikey_expiry_scan"
    assert wait_until(
        lambda: (first.output() + second.output()).count(finished) >= 2 * RUNS, timeout=60
    )  # received + succeeded, for every run
    assert finished in first.output() and finished in second.output()  # both workers scanned
    assert wait_until(lambda: not OutboxEmail.objects.filter(state="pending").exists())
    time.sleep(1)  # nothing late: the count stays exact
    assert reminders_received(smtp) == expected

    rows = Counter(
        OutboxEmail.objects.filter(
            kind__in=[ApiKey.EmailKind.EXPIRY_WEEK, ApiKey.EmailKind.EXPIRY_DAY]
        ).values_list("subject_id", "kind")
    )
    assert set(rows.values()) == {1} and len(rows) == len(week) + len(day)
    events = Counter(KeyEvent.objects.filter(kind="expired").values_list("key_id", flat=True))
    assert events == Counter({k.pk: 1 for k in expired})
    stages = dict(
        ApiKey.objects.filter(pk__in=[k.pk for k in keys]).values_list("pk", "expiry_stage")
    )
    assert {stages[k.pk] for k in week} == {ApiKey.ExpiryStage.WEEK}
    assert {stages[k.pk] for k in day} == {ApiKey.ExpiryStage.DAY}
    assert {stages[k.pk] for k in expired} == {ApiKey.ExpiryStage.EXPIRED}
