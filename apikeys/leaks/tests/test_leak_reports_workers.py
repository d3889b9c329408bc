"""A flood of public leak reports never delays key emails (issue 22, item 3): real Redis
broker, a real worker on the default queue (emails) and one on the leak reports queue, a real
SMTP server. The key email's delay is measured alone, then while 1 500 reports arrive through
the endpoint; the queues are sampled all along."""

from __future__ import annotations

import json
import threading
import time

import redis
from django.test import Client

from apikeys import crypto
from apikeys.leaks.reports import leak_reports_buffer
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import apikey_verify
from tests.support.waiting import wait_until

REPORTS = 1500
STRINGS_PER_REPORT = 20


class QueueSampler(threading.Thread):
    """The longest each queue got (messages waiting in Redis), sampled every 10 ms."""

    def __init__(self, broker_url: str, queues: list[str]) -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(broker_url)
        self.longest = dict.fromkeys(queues, 0)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for queue in self.longest:
                self.longest[queue] = max(self.longest[queue], int(self.client.llen(queue)))
            time.sleep(0.01)

    def stop(self) -> dict[str, int]:
        self.stopping.set()
        self.join(timeout=10)
        self.client.close()
        return self.longest


def flood(reports: list[list[str]], sent: list[int]) -> None:
    """The reports through the endpoint, each from its own address (no limit applies)."""
    client = Client()
    for n, strings in enumerate(reports):
        response = client.post(
            "/pixelStripeApi/keys/revoke",
            json.dumps({"keys": strings}),
            content_type="application/json",
            secure=True,
            REMOTE_ADDR=f"2001:db8:{n:x}::1",
        )
        sent.append(response.status_code)


def email_delay(smtp, user, count: int) -> float:
    """Seconds from a key's issue to its email in the SMTP server (the `count`-th message)."""
    issued = apikey_issue(user=user, actor=user)
    started = time.monotonic()
    messages = smtp.wait_for_messages(count, timeout=60)
    delay = time.monotonic() - started
    assert len(messages) == count
    assert issued.plaintext in messages[-1].get_body(preferencelist=("plain",)).get_content()
    return delay


def test_a_key_email_arrives_within_seconds_while_1500_reports_flood_and_queues_stay_bounded(
    settings, owner, outsider, celery_broker, broker_queue, start_worker, smtp
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "key_reports_client": "100000/60s",
            "key_reports_global": "100000/60s",
        },
    }
    leaks_queue = settings.KEYSERVICE_LEAK_REPORTS_QUEUE
    leaked = apikey_issue(user=outsider)  # its email: the first message
    start_worker(celery_broker, broker_queue)  # the default queue: key emails
    start_worker(celery_broker, leaks_queue)  # the leak reports' drain
    assert len(smtp.wait_for_messages(1)) == 1

    baseline = email_delay(smtp, owner, count=2)

    reports = [[crypto.generate_key() for _ in range(STRINGS_PER_REPORT)] for _ in range(REPORTS)]
    reports[-1][0] = leaked.plaintext  # an active key in the very last report
    sent: list[int] = []
    sampler = QueueSampler(celery_broker, [broker_queue, leaks_queue])
    sampler.start()
    flooding = threading.Thread(target=flood, args=(reports, sent))
    flooding.start()
    assert wait_until(lambda: len(sent) >= REPORTS // 3, timeout=60, interval=0.01)
    during_flood = email_delay(smtp, owner, count=3)  # while the reports keep coming
    flooding.join(timeout=120)
    assert wait_until(
        lambda: not apikey_verify(key=leaked.plaintext, user_public_id=outsider.public_id).ok,
        timeout=120,
    )
    longest = sampler.stop()

    print(
        f"key email alone {baseline:.2f} s, during the flood {during_flood:.2f} s; "
        f"longest queues: default {longest[broker_queue]}, leak reports {longest[leaks_queue]}"
    )
    assert sent == [202] * REPORTS
    assert during_flood < baseline + 2.0
    assert longest[leaks_queue] <= 1  # one drain message at a time, whatever the flood
    assert longest[broker_queue] <= 2  # the key emails only
    assert leak_reports_buffer().waiting() == 0
    assert wait_until(lambda: len(smtp.messages) == 4)  # the leak notice, last
