from __future__ import annotations

import json

import pytest

from lifecycle.events import LifecycleEvent
from lifecycle.models import LifecycleDelivery, Subscriber
from lifecycle.services import subscriber_create


def make_subscriber(
    receiver, *, events=tuple(LifecycleEvent), networks=("127.0.0.0/8",), name="cache"
) -> tuple[Subscriber, str]:
    created = subscriber_create(
        name=name, url=receiver.url(), events=[str(e) for e in events], allowed_networks=networks
    )
    return created.subscriber, created.secret


@pytest.fixture
def subscriber(db, receiver) -> Subscriber:
    """An internal subscriber of every event, on the local receiver (loopback allowed)."""
    return make_subscriber(receiver)[0]


def emitted(event: str | None = None) -> list[dict]:
    """The `data` of the recorded deliveries (oldest first), optionally of one event."""
    rows = LifecycleDelivery.objects.order_by("id")
    if event is not None:
        rows = rows.filter(event=event)
    return [row.payload["data"] for row in rows]


def received(receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.requests]
