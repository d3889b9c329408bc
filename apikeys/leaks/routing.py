"""Celery routing (settings.CELERY_TASK_ROUTES): the public reports' drain gets its own queue.

Its work is paced by anonymous input (apikeys.leaks.reports): on its own queue, served by its
own worker, it never waits in line before (or holds up) a key email on the default queue.
"""

from __future__ import annotations

from django.conf import settings

LEAK_REPORT_TASKS = frozenset(
    {"apikeys.tasks.leak_reports_drain_task", "apikeys.tasks.leak_report_process"}
)


def leak_reports_route(name: str, args, kwargs, options, task=None, **kw) -> dict | None:
    """Celery router: {"queue": KEYSERVICE_LEAK_REPORTS_QUEUE} for a drain, else no opinion."""
    if name in LEAK_REPORT_TASKS:
        return {"queue": settings.KEYSERVICE_LEAK_REPORTS_QUEUE}
    return None
