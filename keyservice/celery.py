"""The Celery application. With REDIS_URL unset, tasks run in-process (eager)."""

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyservice.settings")
# prometheus_client's multiprocess files are written from the first import on: the directory
# must exist before (core.metrics_worker).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

app = Celery("keyservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A worker's own /metrics (core.metrics_worker): started in the main process before the pool
# forks, when KEYSERVICE_WORKER_METRICS_PORT is set; a pool process that exits is marked dead.
@signals.worker_init.connect
def _worker_metrics_start(**_: Any) -> None:
    from core.metrics_worker import worker_metrics_start

    worker_metrics_start()


@signals.worker_process_shutdown.connect
def _worker_metrics_process_dead(pid: int, **_: Any) -> None:
    from core.metrics_worker import worker_metrics_process_dead

    worker_metrics_process_dead(pid=pid)
