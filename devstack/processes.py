"""Small process and port helpers shared by the private servers."""

from __future__ import annotations

import errno
import os
import socket
import time
from collections.abc import Callable


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (a zombie counts as gone only once reaped)."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM  # it exists, under another user
    return True


def port_free(port: int) -> bool:
    """Whether a server could listen there now (as servers do, despite TIME_WAIT sockets)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1) -> bool:
    """Call `condition` until it returns true or `timeout` seconds pass (and once more then):
    polling real processes and servers, never a fixed sleep. The tests use it too."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
