"""Run the real Caddy with the project's deploy/Caddyfile in front of a test's gunicorn.

Only what must differ on this machine is changed, each change checked to apply exactly once:
the site (KEYSERVICE_DOMAIN, read by the file itself) is plain HTTP on a free loopback port,
the upstream is the test's gunicorn instead of `web:8000`, and the global options gain
`admin off` and `default_bind 127.0.0.1` (no admin endpoint shared with other runs, nothing
listening beyond loopback). Every other directive is the file's own."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.services import ROOT, free_port, wait_for_port

UPSTREAM = "reverse_proxy web:8000"
GLOBAL_OPTIONS = "{\n\tservers {"


def caddy_binary() -> str | None:
    """Debian's caddy: on PATH, or unpacked by `bin/check-compose --install` into var/tools."""
    local = ROOT / "var" / "tools" / "usr" / "bin" / "caddy"
    return shutil.which("caddy") or (str(local) if local.is_file() else None)


def caddyfile_for(upstream_port: int) -> str:
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    for needle in (UPSTREAM, GLOBAL_OPTIONS):
        assert text.count(needle) == 1, f"deploy/Caddyfile: expected {needle!r} once"
    text = text.replace(UPSTREAM, f"reverse_proxy 127.0.0.1:{upstream_port}")
    return text.replace(GLOBAL_OPTIONS, "{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\tservers {")


class Caddy:
    def __init__(self, binary: str, upstream_port: int) -> None:
        self.binary = binary
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="keyservice-caddy-"))
        self.config = self.home / "Caddyfile"
        self.config.write_text(caddyfile_for(upstream_port))
        self.log = self.home / "caddy.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Caddy:
        env = {
            **os.environ,
            "KEYSERVICE_DOMAIN": f"http://localhost:{self.port}",
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
        }
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [self.binary, "run", "--adapter", "caddyfile", "--config", str(self.config)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_for_port(self.port, timeout=15):
            self.__exit__()
            raise RuntimeError(f"caddy did not start:\n{self.output()}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
            self.proc = None
        shutil.rmtree(self.home, ignore_errors=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
