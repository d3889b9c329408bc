"""`make run`: compose's processes on one machine. A key requested in the dashboard is mailed by
the worker, through the outbox, into the terminal; Ctrl-C stops every process and server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from devstack.locations import ROOT
from devstack.processes import pid_alive, wait_until
from devstack.stack import Stack
from devstack.topology import processes
from tests.support.services import free_port


def _queues(command: list[str]) -> str | None:
    return command[command.index("-Q") + 1] if "worker" in command and "-Q" in command else None


def test_make_run_runs_a_worker_on_each_queue_docker_compose_runs_and_beat():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    composed = {
        _queues(service["command"])
        for service in compose["services"].values()
        if isinstance(service.get("command"), list) and "celery" in service["command"]
    }
    table = processes(python="python", address="127.0.0.1:8000", var=Path("var"))
    assert {_queues(command) for command in table.values()} == composed | {None}
    assert [name for name, command in table.items() if "beat" in command] == ["beat"]


@pytest.fixture
def run(tmp_path):
    """`python -m devstack run` in a folder of its own, as `make run` starts it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEYSERVICE_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER"):
        env.pop(name, None)
    env.update(
        KEYSERVICE_ENV_FILE="",
        DJANGO_DEBUG="true",
        KEYSERVICE_PASSWORD_LOGIN="true",
        KEYSERVICE_USAGE_FLUSH_SECONDS="0",
    )
    log = tmp_path / "terminal.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "devstack", "--var", str(tmp_path / "var")]
            + ["run", "--address", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    yield proc, f"http://127.0.0.1:{port}", log, Stack(tmp_path / "var")
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    Stack(tmp_path / "var").postgres.stop()
    Stack(tmp_path / "var").redis.stop()


def _field(pattern: str, html: str) -> str:
    found = re.search(pattern, html)
    assert found is not None, pattern
    return found[1]


def _request_a_key(base: str) -> str:
    session = requests.Session()
    token = r'name="csrfmiddlewaretoken" value="([^"]+)"'
    page = session.get(f"{base}/accounts/login/", timeout=10)
    session.post(
        f"{base}/accounts/login/",
        data={
            "csrfmiddlewaretoken": _field(token, page.text),
            "login": "owner@example.com",
            "password": "keyservice-demo",
        },
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    page = session.get(f"{base}/keys/request/", timeout=10)
    issued = session.post(
        f"{base}/keys/request/",
        data={
            "csrfmiddlewaretoken": _field(token, page.text),
            "nonce": _field(r'name="nonce" value="([^"]+)"', page.text),
        },
        headers={"Referer": f"{base}/keys/request/"},
        timeout=10,
    )
    key = re.search(r"spx_[A-Za-z0-9]{40,}", issued.text)
    assert key is not None, f"no key shown (status {issued.status_code})"
    return key[0]


def test_make_run_mails_a_requested_key_through_the_worker_and_stops_everything_on_ctrl_c(run):
    proc, base, log, stack = run

    def healthy() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return proc.poll() is not None

    assert wait_until(healthy, timeout=90, interval=0.5) and proc.poll() is None, "no /healthz"
    output = log.read_text()
    assert "owner@example.com" in output and "Serving on" in output  # the demo logins
    assert wait_until(lambda: log.read_text().count("ready.") >= 3, timeout=60)  # the workers

    key = _request_a_key(base)

    def mailed() -> bool:
        lines = log.read_text().splitlines()  # honcho's "03:15:57 worker          | …"
        return any(re.match(r"\S+ worker +\| ", line) and line.endswith(key) for line in lines)

    printed = wait_until(mailed, timeout=30, interval=0.2)
    assert printed, "the worker printed no email holding the key"  # never the key itself
    assert "No hostname was supplied" not in log.read_text()

    pids = [int(p) for p in re.findall(r"started \(pid=(\d+)\)", log.read_text())]
    assert len(pids) == 5
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
    assert proc.wait(timeout=30) == 0
    assert not [pid for pid in pids if pid_alive(pid)]
    assert not stack.postgres.running() and not stack.redis.running()
