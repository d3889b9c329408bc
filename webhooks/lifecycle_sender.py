"""The lifecycle app's sender (lifecycle.senders), filled in WebhooksConfig.ready(): internal
subscribers' deliveries go through the same URL parser, SSRF guard and connection as
customer webhooks (webhook_post), signed the same way (webhooks.signing), with one
difference: a subscriber's own allow-list of private networks (lifecycle.networks). The
global KEYSERVICE_WEBHOOK_ALLOW_PRIVATE does not apply to them.
"""

from __future__ import annotations

from django.conf import settings

from lifecycle.networks import IPNetwork
from lifecycle.senders import SendResult
from webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header
from webhooks.ssrf import WebhookUrlRefused, address_is_allowed, address_is_forbidden
from webhooks.transport import AttemptKind, webhook_post
from webhooks.urls import MESSAGE_PRIVATE, webhook_url_parse

# Answers after which another attempt is pointless: the request itself is wrong.
_RETRYABLE_4XX = frozenset({408, 429})


def lifecycle_send(
    *,
    url: str,
    body: bytes,
    event: str,
    delivery_id: str,
    secret: str,
    allowed_networks: tuple[IPNetwork, ...],
) -> SendResult:
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: signature_header(secret=secret, body=body),
    }
    result = webhook_post(
        url=url,
        body=body,
        headers=headers,
        timeout=settings.KEYSERVICE_LIFECYCLE_TIMEOUT,
        allow_private=False,
        ca_certs=settings.KEYSERVICE_WEBHOOK_CA_BUNDLE or None,
        allowed_networks=allowed_networks,
    )
    status = result.status_code
    final = result.kind is AttemptKind.REFUSED or (
        result.kind is AttemptKind.HTTP
        and status is not None
        and 300 <= status < 500
        and status not in _RETRYABLE_4XX
    )
    return SendResult(
        delivered=result.kind is AttemptKind.OK,
        final=final,
        status_code=status,
        error=result.error,
        retry_after=result.retry_after,
    )


def lifecycle_url_check(*, url: str, allowed_networks: tuple[IPNetwork, ...]) -> str | None:
    """The check when a subscriber is registered: the URL's syntax, and a literal IP must be
    public or in the allow-list. (A name is resolved and checked at every send.)"""
    try:
        parsed = webhook_url_parse(url)
    except WebhookUrlRefused as exc:
        return str(exc)
    address = parsed.address
    if (
        address is not None
        and address_is_forbidden(address)
        and not address_is_allowed(address, networks=allowed_networks)
    ):
        return f"{MESSAGE_PRIVATE} (or add its network to the subscriber's allow-list)"
    return None
