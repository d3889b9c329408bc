"""The public revocation endpoint's reports, off the request and off the key emails' queue.

The request digests every reported string and leaves the digests in the broker's Redis
(`leak_report_enqueue`: no database query, the same work for every string); it never queues
a task of its own. One drain task at a time, on its own Celery queue
(KEYSERVICE_LEAK_REPORTS_QUEUE, served by its own worker), revokes the keys of up to
KEYSERVICE_LEAK_REPORTS_BATCH reports in one transaction (`leak_reports_drain`), then
schedules itself again while reports wait (core.coalesced). So a flood of reports puts at
most one message on a queue, whatever its size, and never a message in front of a key email.
Past KEYSERVICE_LEAK_REPORTS_PENDING_MAX waiting reports, new ones are refused (503, like
a broker that is down). Without a broker (tasks run in-process) a report is revoked at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

import redis
from celery import current_app
from django.conf import settings

from apikeys import crypto
from apikeys.leaks.services import DigestReport, LeakRefusal, apikey_revoke_leaked_digests
from core.coalesced import Coalesced, Pushed
from core.errors import ApplicationError

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "Service unavailable, try again later"


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def leak_reports_buffer() -> Coalesced:
    """The waiting reports, in the broker's Redis, under the queue's name."""
    return Coalesced(
        client=_client(str(current_app.conf.broker_url)),
        name=settings.KEYSERVICE_LEAK_REPORTS_QUEUE,
        capacity=settings.KEYSERVICE_LEAK_REPORTS_PENDING_MAX,
    )


def _unavailable(reason: str) -> ApplicationError:
    logger.warning("leak report not taken (%s)", reason)
    return ApplicationError(LeakRefusal.UNAVAILABLE, UNAVAILABLE_MESSAGE)


def leak_report_enqueue(*, strings: Sequence[str], reported_by: str) -> None:
    """Leave the digests of publicly reported strings for the drain, which revokes the active
    keys among them. The same work for every string and no database query: nothing here
    depends on whether a string is a key. What is stored carries digests only, never a
    reported string. Refused (ApplicationError(LeakRefusal.UNAVAILABLE)) when the broker's
    Redis does not take it or too many reports wait already."""
    from apikeys.tasks import leak_report_process, leak_reports_drain_task  # services ⇄ tasks

    # crypto.digest's HMAC of every string, with no format check first (the parser already
    # refused NUL and lone surrogates), so the work is the same whatever the string is.
    digests = sorted({crypto.digest(s) for s in strings})
    if current_app.conf.task_always_eager:  # no broker: revoke now, in this process
        leak_report_process.delay(digests, reported_by)
        return
    item = json.dumps({"digests": digests, "reported_by": reported_by})
    buffer = leak_reports_buffer()
    try:
        pushed = buffer.push(item)
    except Exception as exc:  # redis raises several types for an unreachable server
        raise _unavailable(type(exc).__name__) from None
    if pushed is Pushed.FULL:
        raise _unavailable("too many reports waiting")
    if pushed is Pushed.SCHEDULE:
        try:
            leak_reports_drain_task.delay()
        except Exception as exc:  # kombu raises several types for an unreachable broker
            # The report is stored: the next report (or the sweep) schedules its drain.
            logger.warning("leak report drain not scheduled (%s)", type(exc).__name__)
            with suppress(Exception):  # else the flag expires on its own (flag_seconds)
                buffer.release()


def _decode(item: str) -> DigestReport | None:
    try:
        data = json.loads(item)
        return DigestReport(digests=tuple(data["digests"]), reported_by=str(data["reported_by"]))
    except (ValueError, KeyError, TypeError):
        logger.warning("unreadable leak report dropped")
        return None


@dataclass(frozen=True, slots=True)
class Drained:
    reports: int  # reports handled by this drain
    revoked: int  # keys revoked
    more: bool  # reports still wait: the caller must schedule the next drain


def leak_reports_drain() -> Drained:
    """One batch: the keys of up to KEYSERVICE_LEAK_REPORTS_BATCH waiting reports revoked in
    one transaction (apikey_revoke_leaked_digests); a batch whose transaction failed is taken
    again by the next drain (revoking twice is harmless)."""
    buffer = leak_reports_buffer()
    items = buffer.take(settings.KEYSERVICE_LEAK_REPORTS_BATCH)
    reports = [report for report in map(_decode, items) if report is not None]
    revoked = apikey_revoke_leaked_digests(reports=reports) if reports else 0
    buffer.done()
    return Drained(reports=len(items), revoked=revoked, more=buffer.finish())


def leak_reports_sweep() -> bool:
    """Periodic: whether reports were left waiting with no drain scheduled (its message was
    lost); the caller then schedules one."""
    return leak_reports_buffer().claim()
