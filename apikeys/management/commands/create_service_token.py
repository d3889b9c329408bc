from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from apikeys.models import DEFAULT_SCOPES, Scope
from apikeys.service_tokens import service_token_create


class Command(BaseCommand):
    help = "Create a token for an internal service of /internal/v1 and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the calling service, e.g. build-pipeline")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=Scope.values,
            metavar="SCOPE",
            help=(
                f"what the token may call, repeatable ({', '.join(Scope.values)}); "
                f"default: {' '.join(DEFAULT_SCOPES)} only"
            ),
        )

    def handle(self, *args, name: str, scopes: list[str] | None = None, **options) -> None:
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("NAME must be 1 to 100 characters.")
        try:
            issued = service_token_create(
                name=name, scopes=scopes, actor=None, via="manage.py create_service_token"
            )
        except IntegrityError:
            raise CommandError(f'A service token named "{name}" exists already.') from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        token = issued.service_token
        self.stderr.write(
            f"Service token for {name} ({token.hint}), scopes: {token.scopes}. It is shown only "
            "now; send it as `Authorization: Bearer <token>`."
        )
        self.stdout.write(issued.plaintext)
