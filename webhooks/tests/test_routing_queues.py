"""Webhook deliveries run on their own queue, so a stuck receiver never delays a key email."""

from __future__ import annotations

import time

from apikeys.services import apikey_issue
from outbox.tasks import outbox_send
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import wait_until
from tests.support.webhooks import webhook_set
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_fire
from webhooks.tasks import webhook_send, webhook_sweep


def routed_queue(task) -> str:
    return task.app.amqp.router.route({}, task.name)["queue"].name


def test_webhook_deliveries_are_routed_to_the_webhooks_queue_and_key_emails_are_not():
    assert routed_queue(webhook_send) == "webhooks"
    assert routed_queue(outbox_send) != "webhooks"
    assert routed_queue(webhook_sweep) != "webhooks"  # the sweep only enqueues: quick


def test_the_webhooks_queue_name_comes_from_the_setting(settings):
    settings.KEYSERVICE_WEBHOOKS_QUEUE = "hooks-elsewhere"
    assert routed_queue(webhook_send) == "hooks-elsewhere"


def test_a_key_email_is_delivered_while_a_webhook_delivery_is_stuck_on_a_slow_receiver(
    settings, showroom, owner, celery_broker, broker_queue, start_worker, smtp
):
    hooks_queue = f"{broker_queue}-webhooks"
    settings.KEYSERVICE_WEBHOOKS_QUEUE = hooks_queue
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    stuck = WebhookReceiver()
    stuck.delay_seconds = 8  # answers only after 8 s
    stuck.start()
    try:
        webhook_set(showroom, url=stuck.url(), events=["build.approved"])
        env = {
            "KEYSERVICE_WEBHOOKS_QUEUE": hooks_queue,
            "KEYSERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
            "KEYSERVICE_WEBHOOK_TIMEOUT": "30",
        }
        start_worker(celery_broker, broker_queue, **env)  # the default queue: emails
        start_worker(celery_broker, hooks_queue, **env)  # the webhooks queue

        delivery = webhook_fire(project=showroom, event="build.approved")
        assert stuck.wait_for_requests(1, timeout=30)  # the delivery now waits on the receiver
        held_since = time.monotonic()
        issued = apikey_issue(user=owner, actor=owner)

        messages = smtp.wait_for_messages(1, timeout=20)
        assert len(messages) == 1
        assert time.monotonic() - held_since < stuck.delay_seconds  # before the hook let go
        assert issued.plaintext in messages[0].get_body(preferencelist=("plain",)).get_content()
        assert WebhookDelivery.objects.get(pk=delivery.pk).state == "pending"
        assert wait_until(
            lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == "delivered", timeout=30
        )
    finally:
        stuck.stop()
