from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keyservice.wiring_page import ARCHITECTURE, architecture_rewrite, wiring_markdown


class Command(BaseCommand):
    help = (
        "The wiring (keyservice/wiring.py: who fills each registry of the apps) as "
        "docs/architecture.md's section: --markdown prints it, --write rewrites the page."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--markdown", action="store_true", help="print the section")
        what.add_argument(
            "--write", action="store_true", help="rewrite it between docs/architecture.md's markers"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["markdown"]:
            self.stdout.write(wiring_markdown(), ending="")
            return
        try:
            text = architecture_rewrite(ARCHITECTURE.read_text())
        except ValueError as exc:
            raise CommandError(f"{ARCHITECTURE} has no wiring markers") from exc
        ARCHITECTURE.write_text(text)
        self.stdout.write(f"Wrote the wiring section of {ARCHITECTURE}.")
