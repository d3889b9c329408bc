"""Celery tasks of apikeys. Messages carry key digests or numbers only, never a key."""

from celery import shared_task
from django.db import DatabaseError
from redis.exceptions import RedisError

from apikeys import expiry
from apikeys.leaks.reports import leak_reports_drain, leak_reports_sweep
from apikeys.leaks.services import DigestReport, apikey_revoke_leaked_digests
from apikeys.usage.collect import usage_collect


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    max_retries=8,
)
def leak_report_process(digests: list[str], reported_by: str) -> int:
    """Revoke the active keys among one public report's digests (apikeys.leaks.services). Sent only
    without a broker (in-process); with one, reports wait for leak_reports_drain_task. Still
    consumed for messages queued by earlier versions."""
    report = DigestReport(digests=tuple(digests), reported_by=reported_by)
    return apikey_revoke_leaked_digests(reports=[report])


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError, RedisError),
    retry_backoff=5,
    max_retries=8,
)
def leak_reports_drain_task() -> int:
    """Revoke the keys of a batch of waiting public reports (apikeys.leaks.reports), on the
    leak reports queue (apikeys.leaks.routing); while more wait, the next drain is queued. At most
    one drain message exists at a time, however many reports arrive."""
    drained = leak_reports_drain()
    if drained.more:
        leak_reports_drain_task.delay()
    return drained.revoked


@shared_task
def leak_reports_sweep_task() -> bool:
    """Periodic (CELERY_BEAT_SCHEDULE "leak-reports-sweep"): a drain for reports left waiting
    when a drain message was lost (a broker outage, a purged queue)."""
    if leak_reports_sweep():
        leak_reports_drain_task.delay()
        return True
    return False


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
