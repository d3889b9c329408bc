from django.core.management.base import BaseCommand

from outbox.services import outbox_sweep


class Command(BaseCommand):
    help = (
        "Enqueue (or, without Redis, send) every pending email that is due or was never enqueued."
    )

    def handle(self, *args, **options) -> None:
        count = outbox_sweep()
        self.stdout.write(f"Enqueued {count} pending email(s).")
