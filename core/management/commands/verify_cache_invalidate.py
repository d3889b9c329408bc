from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.leasedcache import CacheUnavailable, announcing, holders_forget, invalidate_all


class Command(BaseCommand):
    help = (
        "Make every process's leased cache (the verifier's, the project read's) miss once and "
        "every lease holder start over: after a failover or a restore of the cache's Redis, "
        "or writing the tracked tables with raw SQL."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not announcing():
            self.stdout.write("The leased cache is off (no KEYSERVICE_LEASED_CACHE_REDIS_URL).")
            return
        try:
            holders_forget()
            invalidate_all()
        except CacheUnavailable as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write("Every cached answer is invalidated.")
