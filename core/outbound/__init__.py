"""Outbound HTTP: one signed POST to a URL someone else chose, and nothing else.

    result = post(url=url, body=body, headers=signed_headers(...), timeout=10,
                  policy=PUBLIC_ONLY)        # an AttemptResult; never raises

- `url_parse` / `url_check` (url_policy.py): the URL is read once, by urllib3's parser; every
  form two parsers could read differently is refused (UrlRefused, a message for the user).
  `url_check` is the check when a URL is saved: a literal IP must be one the policy permits.
- `AddressPolicy` (address_guard.py): which addresses the name may resolve to. PUBLIC_ONLY
  (customers' webhooks), `AddressPolicy(allow_private=True)` (the operator's switch), or
  `AddressPolicy(allowed_networks=...)` (an internal subscriber's private networks).
  Link-local, multicast and unspecified addresses are never reachable through a list.
- `post` (transport.py): resolves once, connects to exactly a checked address (DNS
  rebinding), follows no redirect, reads no body, and bounds the whole attempt by one
  deadline. `AttemptResult.kind` says whether the request had been sent; `.retryable` whether
  another attempt is safe; `.retry_after` what the receiver asked for.
- `signed_headers` / `signature_header` / `signature_verify` (signing.py): the
  `X-Keyservice-Signature` scheme, byte for byte as documented for receivers.

It knows no app: what differs between callers (the policy, the timeout, the CA bundle, the
secret) is a parameter. Apps import this package, never its modules.
"""

from core.outbound.address_guard import (
    PUBLIC_ONLY,
    AddressPolicy,
    AddressRefused,
    HostRefused,
    IPNetwork,
    UrlRefused,
    address_is_allowed,
    address_is_forbidden,
)
from core.outbound.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
    signature_verify,
    signed_headers,
)
from core.outbound.transport import (
    RETRYABLE_STATUSES,
    AttemptKind,
    AttemptResult,
    post,
    retry_after_parse,
)
from core.outbound.url_policy import MESSAGE_PRIVATE, OutboundUrl, url_check, url_parse

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "MESSAGE_PRIVATE",
    "PUBLIC_ONLY",
    "RETRYABLE_STATUSES",
    "SIGNATURE_HEADER",
    "AddressPolicy",
    "AddressRefused",
    "AttemptKind",
    "AttemptResult",
    "HostRefused",
    "IPNetwork",
    "OutboundUrl",
    "UrlRefused",
    "address_is_allowed",
    "address_is_forbidden",
    "post",
    "retry_after_parse",
    "signature_header",
    "signature_verify",
    "signed_headers",
    "url_check",
    "url_parse",
]
