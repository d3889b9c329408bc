from django.core.management.base import BaseCommand

from apikeys.services import history_prune


class Command(BaseCommand):
    help = (
        "Delete key events, sent/skipped outbox emails and delivered webhook deliveries older "
        "than their KEYSERVICE_*_RETENTION_DAYS (what the daily Celery beat task does)."
    )

    def handle(self, *args, **options) -> None:
        pruned = history_prune()
        self.stdout.write(
            f"Deleted {pruned.key_events} key event(s), {pruned.outbox_emails} outbox email(s) "
            f"and {pruned.webhook_deliveries} webhook delivery(ies)."
        )
