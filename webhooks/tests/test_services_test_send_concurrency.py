"""Test webhooks send inline in a web worker: however slow the receivers, at most one per
project and KEYSERVICE_WEBHOOK_TEST_CONCURRENCY in all run at once, so they can never hold
every worker (a throttle counting calls per minute does not bound that)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apikeys.services import apikey_issue
from core.errors import ApplicationError
from core.outbound.tests.servers import TrickleReceiver
from core.ratelimit import concurrency_slot
from tests.support.api import TEST_WEBHOOK
from tests.support.webhooks import webhook_set
from webhooks.refusals import WebhookRefusal
from webhooks.services import webhook_test_send


def _hook(project, url: str) -> None:
    webhook_set(project, url=url, events=["build.uploaded"])


def _send_all_at_once(projects) -> list[str]:
    barrier = threading.Barrier(len(projects))
    outcomes: list[str] = []

    def send(project) -> None:
        barrier.wait()
        try:
            result = webhook_test_send(project=project)
            outcomes.append("sent" if result.status_code == 0 else "answered")
        except ApplicationError as refused:
            assert refused.reason is WebhookRefusal.TEST_BUSY
            outcomes.append("busy")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(p,)) for p in projects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


@pytest.fixture
def slow_receivers(settings):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    settings.KEYSERVICE_WEBHOOK_TIMEOUT = 1.5
    with TrickleReceiver(interval=0.2) as trickle:
        yield trickle


def test_concurrent_test_sends_of_one_project_run_one_at_a_time(
    postgres, showroom, slow_receivers, settings
):
    settings.KEYSERVICE_WEBHOOK_TEST_CONCURRENCY = 5
    _hook(showroom, f"http://127.0.0.1:{slow_receivers.port}/hook")

    outcomes = _send_all_at_once([showroom] * 4)

    assert outcomes == ["busy", "busy", "busy", "sent"]
    assert slow_receivers.accepted == 1


def test_across_projects_at_most_the_configured_number_run_at_once(
    postgres, showroom, configurator, slow_receivers, settings
):
    settings.KEYSERVICE_WEBHOOK_TEST_CONCURRENCY = 1
    for project in (showroom, configurator):
        _hook(project, f"http://127.0.0.1:{slow_receivers.port}/hook")

    outcomes = _send_all_at_once([showroom, configurator])

    assert outcomes == ["busy", "sent"]
    assert slow_receivers.accepted == 1


def test_the_api_answers_429_with_retry_after_while_every_test_slot_is_taken(
    client, owner, showroom, receiver, settings
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    _hook(showroom, receiver.url())
    key = apikey_issue(user=owner).plaintext
    creds = {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}

    with concurrency_slot(scope="webhook_test", ident="all projects", limit=1, ttl=60):
        busy = TEST_WEBHOOK.call(client, **creds)
    free = TEST_WEBHOOK.call(client, **creds)

    assert busy.status_code == 429
    assert set(busy.json()) == {"message"}
    assert int(busy["Retry-After"]) > 0
    assert free.status_code == 200
    assert len(receiver.requests) == 1  # the refused call sent nothing


def test_the_dashboard_button_says_so_while_the_projects_test_is_running(
    client, owner, showroom, receiver, settings
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    _hook(showroom, receiver.url())
    client.force_login(owner)

    with concurrency_slot(scope="webhook_test", ident=showroom.public_id, limit=1, ttl=60):
        page = client.post(f"/projects/{showroom.public_id}/webhook/test/", follow=True)

    assert "already being sent" in page.content.decode()
    assert receiver.requests == []
