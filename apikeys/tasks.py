"""Celery tasks of apikeys. Messages carry no key, only numbers."""

from celery import shared_task

from apikeys import expiry


@shared_task
def apikey_expiry_scan(batch_size: int = expiry.BATCH_SIZE) -> dict[str, int]:
    """Periodic (CELERY_BEAT_SCHEDULE "key-expiry-scan"): queue expiry reminders, record
    expired keys. Safe to run concurrently (apikeys.expiry)."""
    scan = expiry.apikey_expiry_scan(batch_size=batch_size)
    return {"week": scan.week_reminders, "day": scan.day_reminders, "expired": scan.expired}
