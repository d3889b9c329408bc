from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ApplicationError
from lifecycle.events import LifecycleEvent
from lifecycle.networks import loopback_warning, networks_loopback
from lifecycle.services import subscriber_create


class Command(BaseCommand):
    help = (
        "Register an internal subscriber of the lifecycle events and print its signing "
        "secret once (stdout; the rest goes to stderr)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the subscribing service")
        parser.add_argument("--url", required=True, help="where deliveries are POSTed")
        parser.add_argument(
            "--events",
            required=True,
            help=f"comma-separated, of: {', '.join(LifecycleEvent)}; or `all`",
        )
        parser.add_argument(
            "--allow-private",
            action="append",
            default=[],
            metavar="CIDR",
            dest="allow_private",
            help="a private network the URL may resolve to (repeatable; e.g. 10.0.0.0/8)",
        )

    def handle(
        self, *args, name: str, url: str, events: str, allow_private: list[str], **options
    ) -> None:
        wanted: list[str] = (
            [str(e) for e in LifecycleEvent]
            if events.strip() == "all"
            else [e.strip() for e in events.split(",") if e.strip()]
        )
        try:
            created = subscriber_create(
                name=name, url=url, events=wanted, allowed_networks=allow_private
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        subscriber = created.subscriber
        if warning := loopback_warning(networks_loopback(subscriber.allowed_networks)):
            self.stderr.write(self.style.WARNING(warning))
        self.stderr.write(
            f"Subscriber {subscriber.name} ({subscriber.public_id}) for "
            f"{', '.join(subscriber.events)}; allowed networks: "
            f"{', '.join(subscriber.allowed_networks) or 'none (public addresses only)'}. "
            "Its signing secret is shown only now:"
        )
        self.stdout.write(created.secret)
