"""Slow clients, as an attacker holds a server: connections that send an unfinished header
block a byte at a time, or a declared-large body a byte at a time, reopened whenever the
server (or a proxy) drops them. One thread drives them all."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

DECLARED_BODY = 60_000  # under KEYSERVICE_API_MAX_BODY_BYTES: the server waits for all of it


@dataclass
class _Slot:
    opening: bytes  # sent at once on connecting
    trickle: bytes  # then one byte per tick, forever
    sock: socket.socket | None = None
    sent: int = 0


@dataclass
class SlowClients:
    """`headers` connections that never finish their header block and `bodies` that never
    finish their body, spread over `paths` (POST), against 127.0.0.1:`port`."""

    port: int
    paths: list[str]
    headers: int = 100
    bodies: int = 100
    interval: float = 0.1
    reopened: int = 0
    _slots: list[_Slot] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> SlowClients:
        for i in range(self.headers):
            path = self.paths[i % len(self.paths)]
            head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
            self._slots.append(_Slot(head.encode(), b"a"))
        for i in range(self.bodies):
            path = self.paths[i % len(self.paths)]
            head = (
                f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
                f"Content-Type: application/json\r\nContent-Length: {DECLARED_BODY}\r\n\r\n"
            )
            self._slots.append(_Slot(head.encode() + b'{"apiKey": "', b"a"))
        for slot in self._slots:
            self._open(slot)
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for slot in self._slots:
            if slot.sock is not None:
                slot.sock.close()

    def connected(self) -> int:
        return sum(slot.sock is not None for slot in self._slots)

    def _open(self, slot: _Slot) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
            sock.sendall(slot.opening)
            sock.setblocking(False)
        except OSError:
            slot.sock = None
            return
        slot.sock, slot.sent = sock, 0

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for slot in self._slots:
                if slot.sock is None:
                    self.reopened += 1
                    self._open(slot)
                    continue
                try:
                    if _closed_by_peer(slot.sock):
                        raise ConnectionResetError
                    slot.sock.send(slot.trickle)
                    slot.sent += 1
                except OSError:  # dropped (or answered) by the server: the attacker comes back
                    slot.sock.close()
                    slot.sock = None


def _closed_by_peer(sock: socket.socket) -> bool:
    """The peer answered or closed (anything readable counts: a slow client never reads)."""
    try:
        return sock.recv(1, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False


def wait_connected(clients: SlowClients, wanted: int, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while clients.connected() < wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return clients.connected()
