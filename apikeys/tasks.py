"""Celery tasks of apikeys. Messages carry key digests or numbers only, never a key."""

from celery import shared_task
from django.db import DatabaseError

from apikeys import expiry
from apikeys.leaks import apikey_revoke_leaked_digests
from apikeys.usage_collect import usage_collect


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    max_retries=8,
)
def leak_report_process(digests: list[str], reported_by: str) -> int:
    """Revoke the active keys among a public leak report's digests (apikeys.leaks)."""
    return apikey_revoke_leaked_digests(digests=digests, reported_by=reported_by)


@shared_task
def usage_collect_task() -> int:
    """Move the key usage that the web processes flushed to Redis into PostgreSQL."""
    return usage_collect()


@shared_task
def apikey_expiry_scan(batch_size: int = expiry.BATCH_SIZE) -> dict[str, int]:
    """Periodic (CELERY_BEAT_SCHEDULE "key-expiry-scan"): queue expiry reminders, record
    expired keys. Safe to run concurrently (apikeys.expiry)."""
    scan = expiry.apikey_expiry_scan(batch_size=batch_size)
    return {"week": scan.week_reminders, "day": scan.day_reminders, "expired": scan.expired}
