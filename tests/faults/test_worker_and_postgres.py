"""Faults with real services: a worker killed mid-send, PostgreSQL restarted under a running
web server. Each test starts and stops only what it breaks (its own processes)."""

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from apikeys.services import apikey_issue
from devstack import PrivatePostgres
from outbox.models import OutboxEmail
from outbox.services import outbox_sweep
from tests.support.gunicorn import Gunicorn
from tests.support.outbox import key_emails
from tests.support.services import ROOT, free_port
from tests.support.waiting import wait_until


def test_a_worker_killed_in_the_middle_of_a_send_delivers_after_a_restart(
    owner, celery_broker, broker_queue, start_worker, smtp, settings
):
    smtp.handler.hold_next = 5.0
    first = start_worker(celery_broker, broker_queue)
    issued = apikey_issue(user=owner)
    assert smtp.handler.holding.wait(timeout=30), first.output()
    first.proc.send_signal(signal.SIGKILL)  # no goodbye: acks_late, row lock dies with it
    first.proc.wait(timeout=10)

    row = key_emails(issued.api_key).get()
    assert wait_until(lambda: smtp.handler.dropped == 1, timeout=15)
    assert OutboxEmail.objects.get(pk=row.pk).state == "pending"

    start_worker(celery_broker, broker_queue)
    settings.KEYSERVICE_OUTBOX_STALE_SECONDS = 0
    assert outbox_sweep() == 1  # what beat does every minute
    [message] = smtp.wait_for_messages(1)
    assert issued.plaintext in message.get_body(preferencelist=("plain",)).get_content()
    assert wait_until(lambda: OutboxEmail.objects.get(pk=row.pk).state == "sent")
    time.sleep(0.5)
    assert len(smtp.messages) == 1  # delivered once


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_postgres_restarted_under_the_web_server_fails_cleanly_then_recovers(tmp_path):
    pg = PrivatePostgres(tmp_path / "postgres", port=free_port(), tcp=True)  # ours to stop
    pg.start()
    web = Gunicorn(DATABASE_URL=pg.url("postgres"), KEYSERVICE_ALLOW_HTTP="true")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=web.env, check=True
        )
        with web:
            base = f"http://127.0.0.1:{web.port}"
            api = f"{base}/pixelStripeApi/projects?userId=0123456789abcdef01234567&apikey=spx_x"
            assert _get(f"{base}/healthz")[0] == 200

            pg.stop()
            status, body = _get(f"{base}/healthz")
            assert (status, json.loads(body)) == (503, {"status": "unavailable"})
            key_status, key_body = _get(api.replace("spx_x", "spx_" + "A" * 49))
            assert key_status in (401, 500)  # bad checksum needs no DB; else a clean 500
            assert "Traceback" not in key_body
            status, body = _get(f"{base}/accounts/login/")
            assert status == 500 and "Traceback" not in body

            pg.start()
            assert wait_until(lambda: _get(f"{base}/healthz")[0] == 200, timeout=20)
            status, body = _get(api)
            assert (status, json.loads(body)) == (401, {"message": "Unauthorized: Invalid API Key"})
            assert _get(f"{base}/accounts/login/")[0] == 200
    finally:
        pg.stop()
