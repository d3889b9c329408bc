"""A development stand-in for the build pipeline: `python manage.py pipeline_simulate`.

It consumes the builds queue (KEYSERVICE_BUILDS_QUEUE: the `builds.process_upload` and
`builds.distribute_upload` messages builds.services publishes) and walks each upload through
the lifecycle with short delays, reporting every state through the same service as
POST /internal/v1/uploads/{uploadId}/status (builds.services.upload_status_report), so the
project's webhooks fire as they would in production. It downloads and checks nothing.

A development tool: refused unless DEBUG is on or --i-know-this-is-not-production is given.
"""

from __future__ import annotations

import queue
import time
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from kombu import Exchange, Queue

from builds.models import Upload
from builds.services import DISTRIBUTE_TASK, PROCESS_TASK, upload_status_report
from builds.status_transitions import PROCESSING
from core.errors import ApplicationError

Status = Upload.Status
# The processing states after pending (which the upload is in already), in order.
AFTER_PENDING = PROCESSING[1:]


def steps_for(task: str, kwargs: dict[str, Any], *, reject_if: str) -> list[tuple[str, str | None]]:
    """The (status, objection) reports for one message, honouring autoRelease."""
    if task == DISTRIBUTE_TASK:
        return [(Status.DISTRIBUTE, None), (Status.APPROVED, None)]
    if reject_if and reject_if in str(kwargs.get("fileUrl", "")):
        objection = f"Simulated rejection: fileUrl contains {reject_if!r}"
        return [(Status.DOWNLOADING, None), (Status.EXTRACTING, None), (Status.REJECT, objection)]
    # autoRelease true: through Distribute to Approved (live); false: Approved, not live.
    auto_release = kwargs.get("autoRelease", True)
    finish = [Status.DISTRIBUTE, Status.APPROVED] if auto_release else [Status.APPROVED]
    return [(s, None) for s in [*AFTER_PENDING, *finish]]


class Command(BaseCommand):
    help = (
        "DEVELOPMENT ONLY: consume the builds queue and walk each upload through the lifecycle "
        "(firing its webhooks), like the real build pipeline would."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delay", type=float, default=1.0, help="seconds between two states (default 1)"
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="handle the messages waiting now, then exit (for tests and scripts)",
        )
        parser.add_argument(
            "--reject-if",
            default="",
            metavar="TEXT",
            help="reject uploads whose fileUrl contains TEXT (to see build.rejected)",
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            help="run although DEBUG is off",
        )

    def handle(self, *args, **options) -> None:
        if not (settings.DEBUG or options["i_know_this_is_not_production"]):
            raise CommandError(
                "pipeline_simulate is a development tool: it approves every build without "
                "looking at it. It runs only with DEBUG on, or with "
                "--i-know-this-is-not-production."
            )
        app = current_app
        if app.conf.task_always_eager or str(app.conf.broker_url).startswith("memory://"):
            raise CommandError("pipeline_simulate needs a real broker: set REDIS_URL.")
        name = settings.KEYSERVICE_BUILDS_QUEUE
        builds_queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
        self.stderr.write(f"pipeline_simulate: consuming queue {name!r} (Ctrl-C to stop)")
        with app.connection_for_read() as connection:
            consumer = connection.SimpleQueue(builds_queue)
            try:
                self._consume(consumer, options)
            finally:
                consumer.close()

    def _consume(self, consumer, options: dict[str, Any]) -> None:
        while True:
            try:
                message = consumer.get(block=True, timeout=0.5 if options["once"] else 5)
            except queue.Empty:
                if options["once"]:
                    return
                continue
            try:
                self._handle(message, options)
            finally:
                message.ack()

    def _handle(self, message, options: dict[str, Any]) -> None:
        task = message.headers.get("task", "")
        body = message.decode()
        kwargs = body[1] if isinstance(body, list) and len(body) > 1 else {}
        upload_id = kwargs.get("uploadId") if isinstance(kwargs, dict) else None
        if task not in (PROCESS_TASK, DISTRIBUTE_TASK) or not isinstance(upload_id, str):
            self.stderr.write(f"skipped a message that is not a build: task {task!r}")
            return
        for status, objection in steps_for(task, kwargs, reject_if=options["reject_if"]):
            time.sleep(options["delay"])
            try:
                upload = upload_status_report(
                    upload_public_id=upload_id, status=status, objection=objection
                )
            except ApplicationError as refused:
                self.stderr.write(f"{upload_id}: {status} refused: {refused.message}")
                return
            self.stdout.write(f"{upload_id}: {upload.status}")
