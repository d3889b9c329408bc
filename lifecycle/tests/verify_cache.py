"""A subscriber as our own services would write one: it caches verify answers and evicts them
on lifecycle events. A real HTTP server on 127.0.0.1 (the events) in front of a real verify
call (requests to /internal/v1/verify)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from core.outbound import signature_verify

Candidate = tuple[str, str, str]  # (key, userId, projectId)


@dataclass
class Processed:
    event: str
    data: dict
    at: float  # time.monotonic() once its evictions were applied


@dataclass
class VerifyCache:
    """Caches positive verify answers per (key digest, userId, projectId).

    On an event it evicts every entry the event may have changed: `key.*`, `user.deactivated`
    and `membership.changed` evict the entries of the userId (memberId); `project.disabled`
    those of the projectId. Negative answers are never cached (no event announces a
    re-activation). A fill records the cache's generation before calling verify and stores
    the answer only if no eviction happened meanwhile, so an answer fetched before a change
    cannot be stored after that change's eviction. `evict=False` is the control: it caches
    the same way and ignores events.
    """

    verify_url: str
    token: str
    secret: str
    evict: bool = True
    processed: list[Processed] = field(default_factory=list)
    delivery_ids: list[str] = field(default_factory=list)
    _entries: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    _generation: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # --- the answers --------------------------------------------------------------------------

    def answer(self, candidate: Candidate, session: requests.Session) -> dict | None:
        """The cached answer, else verify's (cached when positive); None when not valid."""
        key, user_id, project_id = candidate
        entry = (hashlib.sha256(key.encode()).hexdigest(), user_id, project_id)
        with self._lock:
            if entry in self._entries:
                return self._entries[entry]
            generation = self._generation
        response = session.post(
            self.verify_url,
            json={"apiKey": key, "userId": user_id, "projectId": project_id},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        if response.status_code != 200:
            return None
        answer = response.json()
        with self._lock:
            if self._generation == generation:
                self._entries[entry] = answer
        return answer

    # --- the events ---------------------------------------------------------------------------

    def _apply(self, body: bytes, delivery_id: str) -> None:
        event = json.loads(body)
        data = event["data"]
        with self._lock:
            if delivery_id in self.delivery_ids:  # a retry of what was applied: nothing to do
                return
            if self.evict:
                users = {data.get("userId"), data.get("memberId")} - {None}
                projects = {data.get("projectId")} - {None}
                self._entries = {
                    e: a
                    for e, a in self._entries.items()
                    if e[1] not in users and e[2] not in projects
                }
                self._generation += 1
            self.delivery_ids.append(delivery_id)
            self.processed.append(Processed(event["event"], data, time.monotonic()))

    def start(self) -> VerifyCache:
        cache = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                header = self.headers.get("X-Keyservice-Signature", "")
                if not signature_verify(secret=cache.secret, header=header, body=body):
                    self.send_response(401)
                else:
                    cache._apply(body, self.headers.get("X-Keyservice-Delivery", ""))
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/events"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
