"""Writes for lifecycle events: registering subscribers, and emitting an event.

`lifecycle_event_emit` is called by the service that makes a change, inside its transaction:
it writes one delivery row per subscriber of the event, and hands them to Celery when the
transaction commits (lifecycle.delivery). A rolled-back change leaves no row and sends
nothing; the sweep sends committed rows whose enqueue was lost. These are explicit calls, not
signals: every path that changes a key, a membership, a project's status or an account's
activity calls one of the `lifecycle_*` emitters below.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.db import transaction

from core.errors import ApplicationError
from core.ids import new_public_id
from core.outbound import AddressPolicy, AddressRefused, UrlRefused, url_check
from core.timestamps import rest_timestamp
from lifecycle.events import (
    DataValue,
    EndReason,
    KeyRevokeReason,
    LifecycleEvent,
    MembershipChange,
    lifecycle_payload,
)
from lifecycle.models import LifecycleDelivery, Subscriber
from lifecycle.networks import NetworkRefused, networks_load, networks_parse

logger = logging.getLogger(__name__)


class SubscriberRefusal(StrEnum):
    """Why subscriber_create refused (core.errors.ApplicationError.reason); `fields` names
    name, url, events or allowedNetworks."""

    INVALID = "invalid"


@dataclass(frozen=True)
class CreatedSubscriber:
    subscriber: Subscriber
    secret: str = field(repr=False)  # shown once, by the caller; never logged


def subscriber_validate(
    *, name: str, url: str, events: Iterable[str], allowed_networks: Iterable[str]
) -> tuple[list[str], list[str]]:
    """(events, allowed networks) as stored; ApplicationError(INVALID) naming the fields."""
    errors: dict[str, str] = {}
    if not name.strip() or len(name) > 100:
        errors["name"] = "Give the subscriber a name of 1 to 100 characters."
    wanted = list(dict.fromkeys(events))
    unknown = [e for e in wanted if e not in LifecycleEvent.__members__.values()]
    if not wanted or unknown:
        names = ", ".join(LifecycleEvent)
        errors["events"] = f"Choose one or more of: {names}" + (
            f" (unknown: {', '.join(unknown)})" if unknown else ""
        )
    networks: list[str] = []
    try:
        networks = networks_parse(allowed_networks)
    except NetworkRefused as exc:
        errors["allowedNetworks"] = str(exc)
    if "allowedNetworks" not in errors:
        refusal = subscriber_url_refusal(url=url, networks=networks)
        if refusal:
            errors["url"] = refusal
    if errors:
        raise ApplicationError(SubscriberRefusal.INVALID, " ".join(errors.values()), fields=errors)
    return [str(LifecycleEvent(e)) for e in wanted], networks


def subscriber_url_refusal(*, url: str, networks: list[str]) -> str | None:
    """The check when a subscriber is registered: the URL's syntax, and a literal IP must be
    public or in the allow-list (a name is resolved and checked at every send). None when
    the URL may be registered, else why not."""
    try:
        url_check(url=url, policy=AddressPolicy(allowed_networks=networks_load(networks)))
    except AddressRefused as exc:
        return f"{exc} (or add its network to the subscriber's allow-list)"
    except UrlRefused as exc:
        return str(exc)
    return None


@transaction.atomic
def subscriber_create(
    *, name: str, url: str, events: Iterable[str], allowed_networks: Iterable[str] = ()
) -> CreatedSubscriber:
    """Register an internal subscriber with a new signing secret (returned once)."""
    stored_events, networks = subscriber_validate(
        name=name, url=url, events=events, allowed_networks=allowed_networks
    )
    if Subscriber.objects.filter(name=name.strip()).exists():
        message = "A subscriber of that name exists."
        raise ApplicationError(SubscriberRefusal.INVALID, message, fields={"name": message})
    subscriber = Subscriber.objects.create(
        name=name.strip(), url=url, events=stored_events, allowed_networks=networks
    )
    logger.info("lifecycle subscriber %s registered for %s", subscriber.name, stored_events)
    return CreatedSubscriber(subscriber=subscriber, secret=subscriber.secret)


def lifecycle_event_emit(
    *, event: LifecycleEvent, data: Mapping[str, DataValue]
) -> list[LifecycleDelivery]:
    """Record `event` for every active subscriber of it, in the caller's transaction; the
    rows are handed to Celery when it commits. Returns the rows (none without subscribers)."""
    payload = lifecycle_payload(event=event, event_id=new_public_id(), data=data)
    subscribers = [
        s for s in Subscriber.objects.filter(active=True).only("pk", "events") if event in s.events
    ]
    if not subscribers:
        return []
    deliveries = LifecycleDelivery.objects.bulk_create(
        LifecycleDelivery(subscriber=s, event=str(event), payload=payload) for s in subscribers
    )
    ids = [d.pk for d in deliveries]

    def dispatch() -> None:
        from lifecycle.delivery import lifecycle_dispatch  # it imports the tasks module

        for pk in ids:
            lifecycle_dispatch(delivery_id=pk)

    transaction.on_commit(dispatch)
    return deliveries


def lifecycle_key_issued(*, user_public_id: str, key_hint: str) -> None:
    data = {"userId": user_public_id, "keyHint": key_hint}
    lifecycle_event_emit(event=LifecycleEvent.KEY_ISSUED, data=data)


def lifecycle_key_revoked(*, user_public_id: str, key_hint: str, reason: KeyRevokeReason) -> None:
    data = {"userId": user_public_id, "keyHint": key_hint, "reason": KeyRevokeReason(reason)}
    lifecycle_event_emit(event=LifecycleEvent.KEY_REVOKED, data=data)


def lifecycle_key_retiring(*, user_public_id: str, key_hint: str, working_until: datetime) -> None:
    """A replaced key keeps working until `working_until` (apikeys.overlap)."""
    data = {
        "userId": user_public_id,
        "keyHint": key_hint,
        "workingUntil": rest_timestamp(working_until),
    }
    lifecycle_event_emit(event=LifecycleEvent.KEY_RETIRING, data=data)


def lifecycle_membership_changed(
    *,
    owner_public_id: str,
    member_public_id: str,
    role: str | None,
    project_ids: Sequence[str] | None,
    changes: Sequence[MembershipChange],
) -> None:
    data: dict[str, DataValue] = {
        "ownerId": owner_public_id,
        "memberId": member_public_id,
        "role": role,
        "projectIds": None if project_ids is None else sorted(project_ids),
        "changes": [str(MembershipChange(c)) for c in changes],
    }
    lifecycle_event_emit(event=LifecycleEvent.MEMBERSHIP_CHANGED, data=data)


def lifecycle_project_disabled(
    *, project_public_id: str, owner_public_id: str, reason: EndReason
) -> None:
    data = {"projectId": project_public_id, "ownerId": owner_public_id, "reason": reason}
    lifecycle_event_emit(event=LifecycleEvent.PROJECT_DISABLED, data=data)


def lifecycle_user_deactivated(*, user_public_id: str, reason: EndReason) -> None:
    data = {"userId": user_public_id, "reason": EndReason(reason)}
    lifecycle_event_emit(event=LifecycleEvent.USER_DEACTIVATED, data=data)
