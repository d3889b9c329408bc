"""Celery tasks of the apikeys app."""

from dataclasses import asdict

from celery import shared_task

from apikeys import services


@shared_task
def history_prune() -> dict[str, int]:
    """Daily (CELERY_BEAT_SCHEDULE): delete audit and delivery history past its retention."""
    return asdict(services.history_prune())
