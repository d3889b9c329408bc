"""The one outbound HTTP primitive (webhooks' test sends and deliveries, lifecycle deliveries).

`post` parses the URL once (core/outbound/url_policy.py, urllib3's parser), resolves the name
once and checks every address against the caller's policy (core/outbound/address_guard.py),
then connects to exactly a checked IP with
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
import email.utils
import http.client
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from core.outbound.address_guard import AddressPolicy, HostRefused, UrlRefused, addresses_resolve
from core.outbound.url_policy import OutboundUrl, url_parse

USER_AGENT = "keyservice-webhooks/1"


class AttemptKind(StrEnum):
    """What one attempt came to. Whether the receiver can have processed the request decides
    whether a retry is safe: only kinds before the request was sent, and the answers that
    say "not processed, try later", are retryable."""

    OK = "ok"  # 2xx
    HTTP = "http"  # another status
    # Nothing was sent: the connection was refused or reset, timed out while connecting, or
    # the TLS handshake (certificate check included) failed.
    CONNECTION = "connection"
    # The request was sent, then no answer within the deadline: the receiver may have it.
    TIMEOUT = "timeout"
    # The request was sent, then the connection was reset or closed before an answer.
    DROPPED = "dropped"
    REFUSED = "refused"  # the URL may never be called
    UNRESOLVED = "unresolved"  # the name has no public address, now: retried


# Answers meaning "not processed, try again later" (a gateway could not reach the receiver,
# it is unavailable, or it asks to slow down). Every other status is final.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class AttemptResult:
    kind: AttemptKind
    status_code: int | None
    duration_ms: int
    error: str = ""
    # Seconds the answer's Retry-After asked for (429, 503, …), None without a usable one.
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        """True only when the receiver cannot have processed this attempt: nothing was sent
        (CONNECTION, UNRESOLVED) or it answered 429/502/503/504. Never after the request was
        sent without an answer (TIMEOUT, DROPPED), never on another status."""
        if self.kind is AttemptKind.HTTP:
            return self.status_code in RETRYABLE_STATUSES
        return self.kind in (AttemptKind.CONNECTION, AttemptKind.UNRESOLVED)


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
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self.deadline.watch(sock)
        return sock


class _HTTP(_Watched, HTTPConnection):
    pass


class _HTTPS(_Watched, HTTPSConnection):
    pass


def post(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    policy: AddressPolicy,
    ca_certs: str | None = None,
) -> AttemptResult:
    """POST `body` to `url` once, within `timeout` seconds in total, to an address `policy`
    permits. Never raises for network trouble or a refused URL: it reports it, saying
    whether the request had been sent (AttemptKind). `ca_certs`: a CA bundle file (default:
    certifi's, else the system's)."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = url_parse(url)
    except UrlRefused as exc:
        return AttemptResult(AttemptKind.REFUSED, None, elapsed(), f"Refused: {exc}")
    deadline = _Deadline(timeout)
    try:
        addresses = addresses_resolve(url=target, policy=policy, timeout=deadline.remaining())
        answer = _post(target, addresses, body, headers, deadline, ca_certs)
    except HostRefused as exc:
        kind = AttemptKind.REFUSED if target.address is not None else AttemptKind.UNRESOLVED
        return AttemptResult(kind, None, elapsed(), str(exc))
    except _SentThenFailed as sent:
        cause = sent.__cause__ or sent
        if deadline.expired or isinstance(cause, (TimeoutError, Urllib3Timeout)):
            message = f"No answer: timed out after {timeout:g} s"
            return AttemptResult(AttemptKind.TIMEOUT, None, elapsed(), message)
        return AttemptResult(AttemptKind.DROPPED, None, elapsed(), f"No answer: {_reason(cause)}")
    except Exception as exc:  # every failure is reported, never raised; nothing was sent
        timed_out = isinstance(exc, (TimeoutError, Urllib3Timeout))
        if deadline.expired or (timed_out and not isinstance(exc, NewConnectionError)):
            message = f"Could not connect: timed out after {timeout:g} s"
            return AttemptResult(AttemptKind.CONNECTION, None, elapsed(), message)
        return AttemptResult(
            AttemptKind.CONNECTION, None, elapsed(), f"Could not connect: {_reason(exc)}"
        )
    finally:
        deadline.close()
    duration = elapsed()
    status = answer.status
    if 200 <= status < 300:
        return AttemptResult(AttemptKind.OK, status, duration)
    error = f"HTTP {status}"
    if 300 <= status < 400 and answer.location is not None:
        error = f"HTTP {status}: redirect to {answer.location[:200]!r} not followed"
    retry_after = retry_after_parse(answer.retry_after)
    return AttemptResult(AttemptKind.HTTP, status, duration, error, retry_after=retry_after)


def retry_after_parse(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds a Retry-After header value asks for: delay-seconds or an HTTP date (RFC 9110
    10.2.3); a date in the past is 0. None when absent or malformed."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


class _SentThenFailed(Exception):
    """The request had been handed to the connection when its cause (`__cause__`) happened:
    the receiver may have read and processed it."""


@dataclass(frozen=True)
class _Answer:
    status: int
    location: str | None
    retry_after: str | None


def _post(
    target: OutboundUrl,
    addresses: tuple[str, ...],
    body: bytes,
    headers: dict[str, str],
    deadline: _Deadline,
    ca_certs: str | None,
) -> _Answer:
    """Send to the first checked address that accepts a connection. A failure before the
    request is sent (connecting, the TLS handshake) is raised as is; one after, as
    _SentThenFailed."""
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
                conn.connect()  # TCP and, for https, the TLS handshake: nothing sent yet
            except NewConnectionError:
                # Like a client given the name: when one address refuses, try the next.
                if index == len(addresses) - 1 or deadline.expired:
                    raise
                continue
            try:
                conn.request(
                    "POST", target.target, body=body, headers=request_headers, preload_content=False
                )
                response = conn.getresponse()
            except Exception as exc:
                raise _SentThenFailed from exc
            return _Answer(
                response.status,
                response.headers.get("Location"),
                response.headers.get("Retry-After"),
            )
        finally:
            conn.close()
    raise AssertionError("unreachable: addresses is never empty")


def _connection(
    target: OutboundUrl, address: str, deadline: _Deadline, ca_certs: str | None
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
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the connection was closed without an answer"
    found = _ERRNO.search(text)
    if found:
        return found.group(1).strip()
    return type(exc).__name__
