from __future__ import annotations

import argparse
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apikeys import crypto
from apikeys.rotation import (
    DEFAULT_BATCH_SIZE,
    Failure,
    kek_check,
    kek_counts,
    kek_ids_missing,
    kek_rotate,
)

BAR_WIDTH = 30
SHOWN_FAILURES = 20


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {value!r}")
    return int(value)


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored API key that is not under the current KEYSERVICE_ENCRYPTION_KEY "
        "(decrypting with it or KEYSERVICE_OLD_ENCRYPTION_KEYS), then decrypt every key to "
        "verify. Resumable and safe while the service runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=DEFAULT_BATCH_SIZE,
            help=f"keys per transaction (default {DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only report how many keys each KEK encrypts"
        )

    def handle(self, *args, batch_size: int, dry_run: bool, **options) -> None:
        self._bar_open = False
        current_id, _ = crypto.current_kek()
        self._report_counts(current_id)
        missing = kek_ids_missing()
        if missing:
            names = ", ".join(f"kek_id {kek} ({n} key(s))" for kek, n in missing.items())
            raise CommandError(
                f"Encryption key not configured for {names}: add that key to "
                "KEYSERVICE_OLD_ENCRYPTION_KEYS and run again. Nothing was re-encrypted."
            )
        if dry_run:
            todo = sum(n for kek, n in kek_counts().items() if kek != current_id)
            self.stdout.write(f"Dry run: {todo} key(s) would be re-encrypted under {current_id}.")
            return

        progress = self._progress("re-encrypting")
        try:
            report = kek_rotate(batch_size=batch_size, on_batch=progress)
        except KeyboardInterrupt:
            self._end_bar()
            raise CommandError(
                "Interrupted. Every finished batch is committed and no key was lost: "
                "run the command again to continue.",
                returncode=130,
            ) from None
        self._end_bar()
        self.stdout.write(
            f"Re-encrypted {report.rotated} of {report.total} key(s) under kek_id {current_id}."
        )

        check = kek_check(batch_size=batch_size, on_batch=self._progress("verifying"))
        self._end_bar()
        by_kek = ", ".join(f"{n} under kek_id {kek}" for kek, n in sorted(check.ok_by_kek.items()))
        self.stdout.write(
            f"Verified {check.checked} key(s): {by_kek or 'none'} decrypt and match their digest; "
            f"{len(check.failures)} cannot be decrypted."
        )
        self._conclude(current_id, check.ok_by_kek, check.failures)

    def _conclude(self, current_id: str, ok_by_kek: dict[str, int], failures: list[Failure]):
        if failures:
            shown = "\n".join(f"  {f}" for f in failures[:SHOWN_FAILURES])
            more = len(failures) - SHOWN_FAILURES
            raise CommandError(
                f"{len(failures)} key(s) cannot be decrypted:\n{shown}"
                + (f"\n  … and {more} more" if more > 0 else "")
                + "\nKeep every old key configured until this is resolved."
            )
        stale = {kek: n for kek, n in ok_by_kek.items() if kek != current_id}
        if stale:
            names = ", ".join(f"{n} under kek_id {kek}" for kek, n in stale.items())
            raise CommandError(
                f"Keys still on an old key: {names}. They were locked by another transaction "
                "or written by a process still running with the previous configuration: "
                "restart web and worker, then run the command again."
            )
        if settings.KEYSERVICE_OLD_ENCRYPTION_KEYS:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Every key is encrypted under the current key (kek_id {current_id}). "
                    "You may now remove the old key(s) from KEYSERVICE_OLD_ENCRYPTION_KEYS "
                    "and restart web and worker."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Every key is encrypted under the current key (kek_id {current_id}); "
                    "KEYSERVICE_OLD_ENCRYPTION_KEYS is empty, nothing to remove."
                )
            )

    def _report_counts(self, current_id: str) -> None:
        ring = crypto.keyring()
        counts = kek_counts()
        self.stdout.write(f"Current key: kek_id {current_id}. Stored keys per kek_id:")
        for kek, n in counts.items():
            state = "current" if kek == current_id else "old" if kek in ring else "MISSING"
            self.stdout.write(f"  {kek}  {n:>8}  {state}")
        if not counts:
            self.stdout.write("  (no keys stored)")

    def _progress(self, label: str) -> Callable[[int, int], None]:
        """A text progress bar on stderr: redrawn in place on a terminal, a line per batch
        otherwise (logs)."""
        tty = self.stderr.isatty()

        def show(done: int, total: int) -> None:
            filled = BAR_WIDTH * done // total if total else BAR_WIDTH
            bar = f"{label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{total}"
            self.stderr.write(
                "\r" + bar if tty else bar, style_func=str, ending="" if tty else "\n"
            )
            self.stderr.flush()
            self._bar_open = tty

        return show

    def _end_bar(self) -> None:
        if self._bar_open:
            self.stderr.write("", style_func=str)
            self._bar_open = False
