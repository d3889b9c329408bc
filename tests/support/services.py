"""Real services for tests: Redis (the configured one or a throwaway server), SMTP, a worker.

On a developer's machine a missing service skips the test with the reason; with
KEYSERVICE_REQUIRE_SERVICES=1 (CI) every such skip is a failure instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from urllib.parse import quote

import pytest
from kombu import pools as kombu_pools

from devstack import PrivateRedis
from devstack.processes import free_port
from keyservice.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("KEYSERVICE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing (KEYSERVICE_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def wait_for_port(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class RedisServer:
    """A throwaway Redis (devstack's PrivateRedis, in a folder of its own) whose port is chosen
    at once: a test may point at it before it starts, stop it and start it again."""

    def __init__(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="keyservice-redis-"))
        self._server = PrivateRedis(folder)
        self._server.portfile.write_text(str(free_port()))
        weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)  # its log and port

    @property
    def url(self) -> str:
        return self._server.url(0)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()


def database_url(settings_dict: dict) -> str:
    """The URL of that database for another process: TCP, or a Unix socket's folder (the
    checkout's private server) as libpq's `?host=`."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    options = settings_dict.get("OPTIONS") or {}
    host = settings_dict.get("HOST") or options.get("host") or "127.0.0.1"
    port = settings_dict.get("PORT") or options.get("port") or 5432
    if str(host).startswith("/"):
        return f"postgres://{auth}/{settings_dict['NAME']}?host={quote(host)}&port={port}"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class Worker:
    """A real `celery worker` process on the test database, a broker and an SMTP server."""

    def __init__(
        self,
        *,
        broker_url: str,
        queue: str,
        db_url: str,
        email_url: str,
        pool: tuple[str, ...] = ("--pool=solo",),
        **extra_env,
    ):
        self.pool = pool  # e.g. ("--pool=prefork", "--concurrency=2")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "keyservice.settings_test",
            "DATABASE_URL": db_url,
            "KEYSERVICE_TEST_WORKER_BROKER": broker_url,
            "KEYSERVICE_TEST_WORKER_QUEUE": queue,
            "KEYSERVICE_TEST_WORKER_EMAIL_URL": email_url,
            **{k: str(v) for k, v in extra_env.items()},
        }
        self.queue = queue
        self.proc: subprocess.Popen | None = None
        fd, path = tempfile.mkstemp(prefix="keyservice-worker-", suffix=".log")
        os.close(fd)
        self.log_path = Path(path)

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "keyservice", "worker"),
                    *(*self.pool, "--loglevel=INFO", "-Q", self.queue),
                    *("--without-heartbeat", "--without-gossip", "--without-mingle"),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if b"ready." in self.log_path.read_bytes():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"celery worker did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        self.log_path.unlink(missing_ok=True)


def use_broker(url: str | None, queue: str = "celery") -> None:
    """Point this process's Celery app at a broker (None: back to in-process eager tasks)."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()  # kombu keeps producer pools per connection, process-wide
    celery_app.conf.update(
        broker_url=url or "memory://",
        task_always_eager=url is None,
        task_default_queue=queue,
    )
