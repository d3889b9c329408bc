"""One outbound webhook request: SSRF-checked, no redirects, bounded by a timeout."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import requests
from urllib3.exceptions import NewConnectionError

from webhooks.ssrf import WebhookTarget, WebhookUrlRefused, webhook_target_resolve

USER_AGENT = "keyservice-webhooks/1"


@dataclass(frozen=True)
class AttemptResult:
    kind: str  # "ok" (2xx) | "http" (other status) | "timeout" | "connection" | "refused"
    status_code: int | None
    duration_ms: int
    error: str = ""

    @property
    def retryable(self) -> bool:
        if self.kind == "refused":
            return False
        if self.kind == "http" and self.status_code is not None:
            return not (400 <= self.status_code < 500) or self.status_code in (408, 429)
        return self.kind != "ok"


def webhook_post(
    *, url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> AttemptResult:
    """POST `body` to `url` once. Never raises for network trouble: it reports it."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = webhook_target_resolve(url=url, allow_private=allow_private)
        response = _post(target, body, {"User-Agent": USER_AGENT, **headers}, timeout)
    except WebhookUrlRefused as exc:
        return AttemptResult("refused", None, elapsed(), str(exc))
    except requests.Timeout:
        return AttemptResult(
            "timeout", None, elapsed(), f"Could not connect: timed out after {timeout:g} s"
        )
    except (requests.RequestException, OSError) as exc:
        return AttemptResult("connection", None, elapsed(), f"Could not connect: {_reason(exc)}")
    with response:
        status = response.status_code
        duration = elapsed()
        if 200 <= status < 300:
            return AttemptResult("ok", status, duration)
        error = f"HTTP {status}"
        if response.is_redirect:
            location = response.headers.get("Location", "")[:200]
            error = f"HTTP {status}: redirect to {location!r} not followed"
        return AttemptResult("http", status, duration, error)


def _post(target: WebhookTarget, body: bytes, headers: dict, timeout: float) -> requests.Response:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: we connect where we checked
    if target.url.scheme == "https":
        attempts = [(target.url.geturl(), headers)]
    else:
        pinned = {**headers, "Host": target.host_header}
        attempts = [(target.pinned_url(address), pinned) for address in target.addresses]
    with session:
        for index, (url, request_headers) in enumerate(attempts):
            try:
                return session.post(
                    url,
                    data=body,
                    headers=request_headers,
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,  # the answer's body is never read
                )
            except requests.ConnectionError as exc:
                # Like a client given the name: on "could not connect", try the next address.
                if index == len(attempts) - 1 or not _not_connected(exc):
                    raise
    raise AssertionError("unreachable")


def _not_connected(exc: requests.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _reason(exc: BaseException) -> str:
    """A short reason ("Connection refused") instead of urllib3's nested exception text."""
    text = str(exc)
    found = _ERRNO.search(text)
    if found:
        return found.group(1).strip()
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "TLS certificate verification failed"
    return type(exc).__name__
