from celery import shared_task

from apikeys.usage_collect import usage_collect


@shared_task
def usage_collect_task() -> int:
    """Move the key usage that the web processes flushed to Redis into PostgreSQL."""
    return usage_collect()
