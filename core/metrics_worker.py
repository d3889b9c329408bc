"""`/metrics` of a Celery worker: a small HTTP server in the worker's main process.

Celery's pool processes count (webhook deliveries, rate-limit refusals) into files under
PROMETHEUS_MULTIPROC_DIR; this server, started by keyservice.celery at `worker_init` when
KEYSERVICE_WORKER_METRICS_PORT is set, adds them up on each scrape. Same protection as the
web's: `Authorization: Bearer <KEYSERVICE_METRICS_TOKEN>` (hmac.compare_digest); without a
token it does not start at all. The scrape-time database gauges are the web's alone.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings

from core.metrics import CONTENT_TYPE, metrics_render, multiprocess_dir
from core.metrics_archive import metrics_dir_clear, metrics_process_archive

logger = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per scrape would drown the worker's log


def metrics_app(token: str) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app: the exposition for the right bearer token, 401 otherwise."""
    expected = token.encode()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        scheme, _, given = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        given_bytes = given.strip().encode("utf-8", "surrogateescape")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given_bytes, expected):
            headers = [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")]
            start_response("401 Unauthorized", headers)
            return [b"Unauthorized\n"]
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found\n"]
        body = metrics_render(scrape_gauges=False)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")])
        return [body]

    return app


def worker_metrics_start() -> WSGIServer | None:
    """Serve /metrics on KEYSERVICE_WORKER_METRICS_ADDR:PORT in a daemon thread (None when the
    port is 0 or the token empty). Clears earlier runs' files from PROMETHEUS_MULTIPROC_DIR."""
    port = settings.KEYSERVICE_WORKER_METRICS_PORT
    if not port:
        return None
    token = settings.KEYSERVICE_METRICS_TOKEN
    if not token:
        logger.info("worker metrics off: KEYSERVICE_METRICS_TOKEN is empty")
        return None
    directory = multiprocess_dir()
    if directory is None:
        logger.warning(
            "PROMETHEUS_MULTIPROC_DIR is unset: the worker's /metrics shows only its main "
            "process, not its pool processes"
        )
    else:
        # Before the pool forks only this process counts: any other pid's file is a leftover
        # of an earlier run (this process's own files, open since import, stay).
        metrics_dir_clear(directory, keep_pid=os.getpid())
    server = make_server(
        settings.KEYSERVICE_WORKER_METRICS_ADDR,
        port,
        metrics_app(token),
        server_class=_Server,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("worker metrics on %s:%s/metrics", *server.server_address[:2])
    return server


def worker_metrics_process_dead(*, pid: int) -> None:
    """A pool process exits (Celery's worker_process_shutdown, in that process, once it runs no
    more task): its counts are folded into the archives and its files removed, so they stay
    counted and do not pile up (core.metrics_archive)."""
    directory = multiprocess_dir()
    if directory is not None:
        metrics_process_archive(directory=directory, pid=pid)
