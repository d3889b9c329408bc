from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from core.stamps import stamps_bump_global, stamps_enabled, stamps_leases_forget


class Command(BaseCommand):
    help = (
        "Make every process's verify cache miss once (bumps the global stamp): after restoring "
        "the stamps' Redis from a snapshot, a failover, or writing the tables with raw SQL."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not stamps_enabled():
            self.stdout.write("The verify cache is off (no KEYSERVICE_VERIFY_CACHE_REDIS_URL).")
            return
        try:
            stamps_leases_forget()
            stamps_bump_global()
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write("Every cached verify answer is invalidated.")
