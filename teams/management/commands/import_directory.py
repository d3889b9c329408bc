"""`manage.py import_directory FILE.json`: load users, projects and memberships (all or nothing)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from teams.directory import DirectoryError, directory_import


class Command(BaseCommand):
    help = (
        "Import users, projects and memberships from a JSON file in one transaction, keeping "
        "the given userId/projectId values. Re-running updates names, roles and access lists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="JSON file with users, projects, memberships")

    def handle(self, *args, file: Path, **options) -> None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: cannot read the file: {exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file}: not valid JSON: {exc}") from exc
        try:
            summary = directory_import(data=data)
        except DirectoryError as exc:
            problems = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(f"{file}: nothing was imported:\n{problems}") from exc
        self.stdout.write(self.style.SUCCESS(str(summary)))
