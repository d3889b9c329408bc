from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared mechanisms"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core import checks  # noqa: F401  (registers the system checks)
        from core.leasedcache import invalidate_after_migrate

        # A data migration writes through historical models, which announce nothing: after
        # `migrate`, no cached answer from before it is served.
        post_migrate.connect(
            invalidate_after_migrate, weak=False, dispatch_uid="core.leasedcache.migrate"
        )
