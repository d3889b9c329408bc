"""A real Celery worker (prefork, two pool processes) serves its own /metrics: the webhook
deliveries its pool processes settled, behind the same bearer token as the web's."""

from __future__ import annotations

import contextlib
import http.client
import re

from tests.support.receiver import WebhookReceiver
from tests.support.services import free_port
from tests.support.waiting import wait_until
from tests.support.webhooks import webhook_set
from webhooks.services import webhook_fire

TOKEN = "metrics-token-" + "w" * 40
DELIVERED = re.compile(
    r'^keyservice_webhook_deliveries_total\{outcome="delivered"\} ([0-9.e+]+)$', re.M
)


def get(port: int, path: str, token: str | None = TOKEN) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def delivered(port: int) -> float:
    status, text = get(port, "/metrics")
    assert status == 200, text
    match = DELIVERED.search(text)
    return float(match.group(1)) if match else -1.0


@contextlib.contextmanager
def hooks_worker(tmp_path, settings, project, celery_broker, broker_queue, start_worker, pool):
    """A real worker on a webhooks queue of this test's own, with its /metrics on a free port
    and its counts in tmp_path, delivering `project`'s webhook to a local receiver: yields
    (receiver, port)."""
    hooks_queue = f"{broker_queue}-webhooks"
    settings.KEYSERVICE_WEBHOOKS_QUEUE = hooks_queue
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    receiver = WebhookReceiver()
    receiver.start()
    port = free_port()
    try:
        webhook_set(project, url=receiver.url(), events=["build.approved"])
        start_worker(
            celery_broker,
            hooks_queue,
            pool=pool,
            KEYSERVICE_WEBHOOKS_QUEUE=hooks_queue,
            KEYSERVICE_WEBHOOK_ALLOW_PRIVATE="true",
            KEYSERVICE_WORKER_METRICS_PORT=str(port),
            KEYSERVICE_METRICS_TOKEN=TOKEN,
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        )
        yield receiver, port
    finally:
        receiver.stop()


def test_the_worker_exports_what_its_pool_processes_delivered(
    tmp_path, settings, showroom, celery_broker, broker_queue, start_worker
):
    (tmp_path / "counter_999999.db").write_bytes(b"left over from an earlier run")
    pool = ("--pool=prefork", "--concurrency=2")
    with hooks_worker(
        tmp_path, settings, showroom, celery_broker, broker_queue, start_worker, pool
    ) as (receiver, port):
        assert not (tmp_path / "counter_999999.db").exists()  # wiped at start
        assert get(port, "/metrics", token=None)[0] == 401
        assert get(port, "/metrics", token=TOKEN + "x")[0] == 401
        assert delivered(port) == 0
        for _ in range(4):
            webhook_fire(project=showroom, event="build.approved")
        assert receiver.wait_for_requests(4, timeout=30)
        assert wait_until(lambda: delivered(port) == 4, timeout=15)
        assert showroom.public_id not in get(port, "/metrics")[1]


def test_pool_processes_replaced_after_each_task_stay_counted_in_a_bounded_directory(
    tmp_path, settings, showroom, celery_broker, broker_queue, start_worker
):
    # every pool process exits after one task (worker_process_shutdown) and is replaced
    pool = ("--pool=prefork", "--concurrency=1", "--max-tasks-per-child=1")
    with hooks_worker(
        tmp_path, settings, showroom, celery_broker, broker_queue, start_worker, pool
    ) as (receiver, port):
        for _ in range(5):
            webhook_fire(project=showroom, event="build.approved")
        assert receiver.wait_for_requests(5, timeout=60)
        assert wait_until(lambda: delivered(port) == 5, timeout=30)
        # the five processes that delivered are gone: their counts are in the archive
        assert wait_until(lambda: (tmp_path / "counter_archive.db").exists(), timeout=15)
        pids = {p.name.rpartition("_")[2] for p in tmp_path.glob("*.db")} - {"archive.db"}
        assert len(pids) <= 2, sorted(p.name for p in tmp_path.glob("*.db"))  # main + live one
        assert delivered(port) == 5
