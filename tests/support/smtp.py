"""A real SMTP server (aiosmtpd) on a free port, recording what it accepts."""

from __future__ import annotations

import asyncio
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.support.services import free_port


class RecordingHandler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_next = 0  # answer this many DATA commands with a temporary failure
        self.refused = 0
        self.hold_next = 0.0  # hold the next DATA this many seconds before answering
        self.holding = threading.Event()  # set while a DATA is being held
        self.dropped = 0  # held messages whose client vanished meanwhile (not delivered)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
        if self.hold_next:
            delay, self.hold_next = self.hold_next, 0.0
            self.holding.set()
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:  # aiosmtpd cancels us when the client vanishes
                self.dropped += 1
                raise
            finally:
                self.holding.clear()
            if server.transport is None or server.transport.is_closing():
                self.dropped += 1  # the sender died mid-send: the message was never accepted
                return "451 4.3.0 Sender went away"
        if self.refuse_next > 0:
            self.refuse_next -= 1
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def wait_for_messages(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return list(self.messages)
