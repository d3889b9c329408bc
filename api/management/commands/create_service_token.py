from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from api.services import service_token_create


class Command(BaseCommand):
    help = "Create a token for an internal service of /internal/v1 and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the calling service, e.g. build-pipeline")

    def handle(self, *args, name: str, **options) -> None:
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("NAME must be 1 to 100 characters.")
        try:
            issued = service_token_create(name=name)
        except IntegrityError:
            raise CommandError(f'A service token named "{name}" exists already.') from None
        self.stderr.write(
            f"Service token for {name} ({issued.service_token.hint}). It is shown only now; "
            "send it as `Authorization: Bearer <token>`."
        )
        self.stdout.write(issued.plaintext)
