# ruff: noqa: S603  (subprocesses are this repository's own tools, argument lists)
"""The run's processes: `run` (a command from the repository's root, checked) and `Gunicorn`.

A `Gunicorn` is a keyservice server (or a bare project's) on a loopback port of its own, with
the repository's gunicorn.conf.py and the run's environment plus its own overrides.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from bench.config import OUT, ROOT, VENV_BIN, free_port


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, check=True, **kw)


class Gunicorn:
    """The service as deployed: gunicorn.conf.py of the repository, bound to loopback. The bare
    projects (`app="bench.bare.wsgi"`) run under the same file: same workers, same access log."""

    def __init__(self, extra_env: dict[str, str] | None = None, app: str = "keyservice.wsgi"):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{self.port}", **(extra_env or {})}
        self.log_path = OUT / f"gunicorn-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", self.app],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
