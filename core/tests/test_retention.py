"""History pruning: team events, key events, key usage days, settled outbox emails, delivered
webhook and lifecycle deliveries past their retention are deleted (daily beat task and
`manage.py prune_history`); nothing an operator may still need to act on is."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys.models import ApiKey, KeyEvent
from apikeys.usage.models import KeyUsageDay
from audit.models import AuditEvent
from audit.services import SYSTEM, audit_record
from core.retention import pruners, retention_prune
from core.tasks import retention_prune as retention_prune_task
from lifecycle.models import LifecycleDelivery, Subscriber
from outbox.models import OutboxEmail
from webhooks.models import WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db


def aged(obj, days: int):
    """Backdate a row's created_at (auto_now_add) by `days` days."""
    type(obj).objects.filter(pk=obj.pk).update(created_at=timezone.now() - timedelta(days=days))
    return obj


def event(user, days: int) -> KeyEvent:
    return aged(KeyEvent.objects.create(kind=KeyEvent.Kind.ISSUED, user=user), days)


def team_event(owner, days: int) -> AuditEvent:
    kind = AuditEvent.Kind.MEMBER_REMOVED
    return aged(audit_record(kind=kind, account=owner, actor=SYSTEM), days)


def email(state: str, days: int) -> OutboxEmail:
    row = OutboxEmail.objects.create(
        kind=ApiKey.EmailKind.NEW_KEY, recipient="someone@example.com", state=state
    )
    return aged(row, days)


def delivery(project, state: str, days: int) -> WebhookDelivery:
    row = WebhookDelivery.objects.create(
        project=project,
        event="build.uploaded",
        url="https://hooks.example.com/keyservice",
        payload={"event": "build.uploaded"},
        state=state,
    )
    WebhookAttempt.objects.create(delivery=row, number=1, status_code=200, duration_ms=12)
    return aged(row, days)


def lifecycle_delivery(state: str, days: int) -> LifecycleDelivery:
    subscriber, _ = Subscriber.objects.get_or_create(
        name="cache", defaults={"url": "https://cache.example.com/", "events": ["key.issued"]}
    )
    row = LifecycleDelivery.objects.create(
        subscriber=subscriber, event="key.issued", payload={"event": "key.issued"}, state=state
    )
    return aged(row, days)


def usage_day(owner, days: int) -> KeyUsageDay:
    key = ApiKey.objects.filter(user=owner).first() or ApiKey.objects.create(
        user=owner, ciphertext="0" * 32 + ":00", kek_id="test", digest="d" * 64, hint="spx_…test"
    )  # a bare row: issuing would record events of its own
    day = timezone.now().date() - timedelta(days=days)
    return KeyUsageDay.objects.create(key=key, day=day, accepted=3, refused=1)


MODELS = [
    (AuditEvent, "team"),
    (KeyEvent, "events"),
    (KeyUsageDay, "usage"),
    (OutboxEmail, "emails"),
    (WebhookDelivery, "deliveries"),
    (LifecycleDelivery, "lifecycle"),
]


def ids(model) -> set[int]:
    return set(model.objects.values_list("pk", flat=True))


@pytest.fixture
def history(owner, showroom):
    """Rows on both sides of the default retentions (365 days audit, 30 days the others)."""
    old = {
        "team": {team_event(owner, 400).pk},
        "events": {event(owner, 400).pk, event(owner, 366).pk},
        "emails": {email("sent", 31).pk, email("skipped", 90).pk},
        "deliveries": {delivery(showroom, "delivered", 45).pk},
        "lifecycle": {lifecycle_delivery("delivered", 31).pk},
        "usage": {usage_day(owner, 91).pk},
    }
    kept = {
        "team": {team_event(owner, 364).pk},
        "events": {event(owner, 364).pk, event(owner, 0).pk},
        "emails": {
            email("sent", 29).pk,
            email("pending", 400).pk,
            email("failed", 400).pk,
        },
        "deliveries": {
            delivery(showroom, "delivered", 29).pk,
            delivery(showroom, "pending", 400).pk,
            delivery(showroom, "failed", 400).pk,
        },
        "lifecycle": {
            lifecycle_delivery("delivered", 29).pk,
            lifecycle_delivery("pending", 400).pk,
            lifecycle_delivery("failed", 400).pk,
        },
        "usage": {usage_day(owner, 89).pk},
    }
    return old, kept


def test_history_past_its_retention_is_deleted_and_recent_history_is_kept(history):
    old, kept = history

    pruned = retention_prune()

    assert pruned == {
        "audit_events": 1,
        "former_memberships": 0,
        "key_events": 2,
        "key_usage": 1,
        "outbox_emails": 2,
        "webhook_deliveries": 1,
        "lifecycle_deliveries": 1,
    }
    assert ids(AuditEvent) == kept["team"]
    assert ids(LifecycleDelivery) == kept["lifecycle"]
    assert ids(KeyUsageDay) == kept["usage"]
    assert ids(KeyEvent) == kept["events"]
    assert ids(OutboxEmail) == kept["emails"]
    assert ids(WebhookDelivery) == kept["deliveries"]
    assert set(WebhookAttempt.objects.values_list("delivery_id", flat=True)) == kept["deliveries"]
    assert all(not (ids(model) & old[name]) for model, name in MODELS)


def test_pending_and_failed_emails_and_deliveries_are_kept_however_old(owner, showroom):
    kept = {email("pending", 5000).pk, email("failed", 5000).pk}
    kept_deliveries = {delivery(showroom, s, 5000).pk for s in ("pending", "failed")}

    retention_prune()

    assert ids(OutboxEmail) == kept
    assert ids(WebhookDelivery) == kept_deliveries


def test_retention_periods_come_from_the_settings(settings, owner, showroom):
    settings.KEYSERVICE_AUDIT_RETENTION_DAYS = 7
    settings.KEYSERVICE_OUTBOX_RETENTION_DAYS = 2
    settings.KEYSERVICE_WEBHOOK_RETENTION_DAYS = 90
    recent = {event(owner, 6).pk, email("sent", 1).pk, delivery(showroom, "delivered", 45).pk}
    event(owner, 8)
    email("sent", 3)

    team_event(owner, 8)
    assert retention_prune() == {
        "audit_events": 1,
        "former_memberships": 0,
        "key_events": 1,
        "key_usage": 0,
        "outbox_emails": 1,
        "webhook_deliveries": 0,
        "lifecycle_deliveries": 0,
    }
    assert recent == ids(KeyEvent) | ids(OutboxEmail) | ids(WebhookDelivery)


@pytest.mark.parametrize("days", [0, -1])
def test_a_retention_below_one_day_is_refused(settings, days):
    settings.KEYSERVICE_OUTBOX_RETENTION_DAYS = days
    with pytest.raises(ImproperlyConfigured, match="KEYSERVICE_OUTBOX_RETENTION_DAYS"):
        retention_prune()


def test_rows_are_deleted_in_batches(owner):
    for _ in range(5):
        event(owner, 400)

    with CaptureQueriesContext(connection) as queries:
        pruned = retention_prune(batch_size=2)

    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert pruned["key_events"] == 5
    assert len(deletes) == 3
    assert not KeyEvent.objects.exists()


def test_the_prune_history_command_reports_what_it_deleted(history):
    out = io.StringIO()
    call_command("prune_history", stdout=out)
    assert out.getvalue().strip() == (
        "Deleted 1 team event(s), 0 former membership(s), 2 key event(s), 1 key usage day(s) "
        "and batch id(s), 2 outbox email(s), 1 webhook delivery(ies) and 1 lifecycle "
        "delivery(ies)."
    )


def test_a_daily_beat_task_prunes_history(settings, history):
    entry = settings.CELERY_BEAT_SCHEDULE["history-prune"]
    assert entry == {"task": retention_prune_task.name, "schedule": timedelta(days=1)}

    result = retention_prune_task.apply().get()

    assert result == {
        "audit_events": 1,
        "former_memberships": 0,
        "key_events": 2,
        "key_usage": 1,
        "outbox_emails": 2,
        "webhook_deliveries": 1,
        "lifecycle_deliveries": 1,
    }
    assert ids(KeyEvent) == history[1]["events"]


def test_each_app_registers_its_own_pruner():
    assert [(p.name, p.setting_name, p.prune.__module__) for p in pruners()] == [
        ("audit_events", "KEYSERVICE_AUDIT_RETENTION_DAYS", "audit.services"),
        ("former_memberships", "KEYSERVICE_AUDIT_RETENTION_DAYS", "teams.services"),
        ("key_events", "KEYSERVICE_AUDIT_RETENTION_DAYS", "apikeys.services"),
        ("key_usage", "KEYSERVICE_USAGE_RETENTION_DAYS", "apikeys.usage.collect"),
        ("outbox_emails", "KEYSERVICE_OUTBOX_RETENTION_DAYS", "outbox.services"),
        ("webhook_deliveries", "KEYSERVICE_WEBHOOK_RETENTION_DAYS", "webhooks.services"),
        ("lifecycle_deliveries", "KEYSERVICE_LIFECYCLE_RETENTION_DAYS", "lifecycle.delivery"),
    ]
