"""Run the real gunicorn (gunicorn.conf.py, keyservice.wsgi) on a free loopback port."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.db import connection

from tests.support.services import ROOT, database_url, free_port, wait_for_port

# The gunicorn of the interpreter running the tests (any venv, any checkout).
GUNICORN = [sys.executable, "-m", "gunicorn"]


class Gunicorn:
    def __init__(self, **env: str) -> None:
        self.port = free_port()
        base = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "REDIS_URL")}
        self.env = {
            **base,
            "DJANGO_SETTINGS_MODULE": "keyservice.settings_test",
            "KEYSERVICE_ENV_FILE": "",
            "DATABASE_URL": database_url(connection.settings_dict),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "1",
            **env,
        }
        fd, path = tempfile.mkstemp(prefix="keyservice-gunicorn-", suffix=".log")
        os.close(fd)
        self.log = Path(path)
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [*GUNICORN, "-c", "gunicorn.conf.py", "keyservice.wsgi"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_for_port(self.port, timeout=30):
            self.__exit__()
            raise RuntimeError(f"gunicorn did not start:\n{self.output()}")
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
            self.proc = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
        timeout: float = 15,
    ) -> tuple[int, str, bytes]:
        """(status, content type, body bytes) of one request, whatever the body is."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={"Host": "localhost", **(headers or {})})
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            conn.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
        status, _, body = self.request("GET", path, headers)
        return status, json.loads(body) if body else {}
