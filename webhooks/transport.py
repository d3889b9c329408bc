"""The one outbound HTTP primitive for webhooks (test sends and event deliveries).

`webhook_post` parses the URL once (webhooks/urls.py, urllib3's parser), resolves the name
once and checks every address (webhooks/ssrf.py), then connects to exactly a checked IP with
urllib3's connection classes, handing them the parsed parts: the IP and port to connect to,
the request target (path and query) for the request line, and for https the name for SNI
and the certificate check. The Host header carries the name (and a non-default port). No
redirect is followed, no proxy is used, the answer's body is never read.

One wall-clock deadline (`timeout`) bounds the whole attempt: the name lookup, connecting,
the TLS handshake, sending, and reading the status line and headers. Each socket operation
waits at most the time left, and a watchdog shuts the socket down when the deadline passes,
so a receiver that trickles one byte at a time is cut off at the deadline too.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from webhooks.ssrf import WebhookHostRefused, WebhookUrlRefused, webhook_addresses_resolve
from webhooks.urls import WebhookUrl, webhook_url_parse

USER_AGENT = "keyservice-webhooks/1"


class AttemptKind(StrEnum):
    OK = "ok"  # 2xx
    HTTP = "http"  # another status
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    REFUSED = "refused"  # the URL may never be called
    UNRESOLVED = "unresolved"  # the name has no public address, now: retried


@dataclass(frozen=True)
class AttemptResult:
    kind: AttemptKind
    status_code: int | None
    duration_ms: int
    error: str = ""

    @property
    def retryable(self) -> bool:
        if self.kind is AttemptKind.REFUSED:
            return False
        if self.kind is AttemptKind.HTTP and self.status_code is not None:
            return not (400 <= self.status_code < 500) or self.status_code in (408, 429)
        return self.kind is not AttemptKind.OK


class _Deadline:
    """The attempt's wall-clock budget; shuts down watched sockets when it runs out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(self.expires - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down at the deadline (a dup of the connection's socket: it survives
        the TLS wrapper taking over the original)."""
        watched = sock.dup()
        with self._lock:
            self._sockets.append(watched)
            if self.expired:
                _shutdown(watched)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    deadline: _Deadline

    def _new_conn(self) -> socket.socket:
        # A mixin for urllib3's connection classes (_HTTP, _HTTPS below): super() is theirs.
        sock = super()._new_conn()  # type: ignore[misc]
        self.deadline.watch(sock)
        return sock


class _HTTP(_Watched, HTTPConnection):
    pass


class _HTTPS(_Watched, HTTPSConnection):
    pass


def webhook_post(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool,
    ca_certs: str | None = None,
) -> AttemptResult:
    """POST `body` to `url` once, within `timeout` seconds in total. Never raises for network
    trouble or a refused URL: it reports it. `ca_certs`: a CA bundle file (default: certifi's,
    else the system's)."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = webhook_url_parse(url)
    except WebhookUrlRefused as exc:
        return AttemptResult(AttemptKind.REFUSED, None, elapsed(), f"Refused: {exc}")
    deadline = _Deadline(timeout)
    try:
        addresses = webhook_addresses_resolve(
            url=target, allow_private=allow_private, timeout=deadline.remaining()
        )
        status, location = _post(target, addresses, body, headers, deadline, ca_certs)
    except WebhookHostRefused as exc:
        kind = AttemptKind.REFUSED if target.address is not None else AttemptKind.UNRESOLVED
        return AttemptResult(kind, None, elapsed(), str(exc))
    except Exception as exc:  # every failure is reported, never raised
        timed_out = isinstance(exc, (TimeoutError, Urllib3Timeout))
        if deadline.expired or (timed_out and not isinstance(exc, NewConnectionError)):
            message = f"Could not connect: timed out after {timeout:g} s"
            return AttemptResult(AttemptKind.TIMEOUT, None, elapsed(), message)
        return AttemptResult(
            AttemptKind.CONNECTION, None, elapsed(), f"Could not connect: {_reason(exc)}"
        )
    finally:
        deadline.close()
    duration = elapsed()
    if 200 <= status < 300:
        return AttemptResult(AttemptKind.OK, status, duration)
    error = f"HTTP {status}"
    if 300 <= status < 400 and location is not None:
        error = f"HTTP {status}: redirect to {location[:200]!r} not followed"
    return AttemptResult(AttemptKind.HTTP, status, duration, error)


def _post(
    target: WebhookUrl,
    addresses: tuple[str, ...],
    body: bytes,
    headers: dict[str, str],
    deadline: _Deadline,
    ca_certs: str | None,
) -> tuple[int, str | None]:
    """Send to the first checked address that accepts a connection; (status, Location)."""
    request_headers = {
        "User-Agent": USER_AGENT,
        **headers,
        "Host": target.host_header,
        "Content-Length": str(len(body)),
    }
    for index, address in enumerate(addresses):
        conn = _connection(target, address, deadline, ca_certs)
        try:
            try:
                conn.connect()
            except NewConnectionError:
                # Like a client given the name: when one address refuses, try the next.
                if index == len(addresses) - 1 or deadline.expired:
                    raise
                continue
            conn.request(
                "POST", target.target, body=body, headers=request_headers, preload_content=False
            )
            response = conn.getresponse()
            return response.status, response.headers.get("Location")
        finally:
            conn.close()
    raise AssertionError("unreachable: addresses is never empty")


def _connection(
    target: WebhookUrl, address: str, deadline: _Deadline, ca_certs: str | None
) -> HTTPConnection:
    timeout = deadline.remaining()
    if target.scheme == "https":
        conn: HTTPConnection = _HTTPS(
            address,
            target.port,
            timeout=timeout,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or _default_ca_bundle(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        conn = _HTTP(address, target.port, timeout=timeout)
    # Both classes are _Watched (which declares `deadline`); the variable is typed as their base.
    conn.deadline = deadline  # type: ignore[attr-defined]
    return conn


def _default_ca_bundle() -> str | None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with requests
        return None
    return certifi.where()


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _reason(exc: BaseException) -> str:
    """A short reason ("Connection refused") instead of urllib3's nested exception text."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "doesn't match" in text:
        return "TLS certificate verification failed"
    found = _ERRNO.search(text)
    if found:
        return found.group(1).strip()
    return type(exc).__name__
