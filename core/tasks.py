"""Celery tasks of the core app."""

from celery import shared_task

from core import retention


@shared_task  # type: ignore[untyped-decorator]  # celery ships no type information
def retention_prune() -> dict[str, int]:
    """Daily (CELERY_BEAT_SCHEDULE): delete every app's history past its retention."""
    return retention.retention_prune()
