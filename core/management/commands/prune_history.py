from typing import Any

from django.core.management.base import BaseCommand

from core.retention import pruned_describe, retention_prune


class Command(BaseCommand):
    help = (
        "Delete key events, sent/skipped outbox emails and delivered webhook deliveries older "
        "than their KEYSERVICE_*_RETENTION_DAYS (what the daily Celery beat task does)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        pruned = retention_prune()
        self.stdout.write(f"Deleted {pruned_describe(pruned=pruned)}.")
