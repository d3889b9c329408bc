"""How lifecycle deliveries reach the network: a registry filled by webhooks.

The one outbound HTTP primitive (URL parsing, the SSRF guard, the connection) and the
signature belong to webhooks, which sits above the apps that emit lifecycle events. webhooks
fills this point in its AppConfig.ready() (webhooks/lifecycle_sender.py); nothing here
imports it. A point that nothing filled raises SenderNotRegistered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from lifecycle.networks import IPNetwork


@dataclass(frozen=True)
class SendResult:
    delivered: bool  # a 2xx answer
    # Never worth another attempt: the URL is refused, a redirect, or a 4xx but 408/429.
    final: bool
    status_code: int | None
    error: str  # "" when delivered; never holds the secret or the body
    retry_after: float | None = None  # the answer's Retry-After, seconds


class Sender(Protocol):
    def __call__(
        self,
        *,
        url: str,
        body: bytes,
        event: str,
        delivery_id: str,
        secret: str,
        allowed_networks: tuple[IPNetwork, ...],
    ) -> SendResult: ...


class UrlCheck(Protocol):
    def __call__(self, *, url: str, allowed_networks: tuple[IPNetwork, ...]) -> str | None:
        """None when `url` may be registered, else the refusal's message."""
        ...


class SenderNotRegistered(ImproperlyConfigured):
    """No app filled the lifecycle sender (webhooks is not installed?)."""


@dataclass
class _Registry:
    send: Sender | None = None
    check: UrlCheck | None = None


_REGISTRY = _Registry()


def sender_register(*, send: Sender, check: UrlCheck) -> None:
    _REGISTRY.send, _REGISTRY.check = send, check


def sender() -> Sender:
    if _REGISTRY.send is None:
        raise SenderNotRegistered("the lifecycle sender is registered by webhooks' ready()")
    return _REGISTRY.send


def url_check() -> UrlCheck:
    if _REGISTRY.check is None:
        raise SenderNotRegistered("the lifecycle URL check is registered by webhooks' ready()")
    return _REGISTRY.check
