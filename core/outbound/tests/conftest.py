"""Outbound test fixtures: stubbed name resolution ("public" names that really are loopback)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from core.outbound import address_guard as ssrf

PUBLIC_NAME = "hooks.example.test"


class Resolver:
    """socket.getaddrinfo, except for the names in `answers` (each a list of address lists,
    one per lookup; the last repeats). Records every lookup of a stubbed name."""

    def __init__(self, real: Callable) -> None:
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        self.fail: set[str] = set()

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name in self.fail:
            self.lookups.append(name)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if name not in self.answers:
            return self.real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        queue = self.answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port or 0))
            for a in addresses
        ]


@pytest.fixture
def resolver(monkeypatch) -> Resolver:
    """Names resolve as the test says (`resolver.answers[name] = [[ip, ...], ...]`)."""
    stub = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", stub)
    return stub


@pytest.fixture
def public_loopback(monkeypatch, resolver) -> Resolver:
    """PUBLIC_NAME resolves to 127.0.0.1 and the guard believes 127.0.0.1 is public, so a URL
    the guard lets through really reaches a local receiver (and one it refuses never does)."""
    real = ssrf.address_is_forbidden
    monkeypatch.setattr(ssrf, "address_is_forbidden", lambda a: a != "127.0.0.1" and real(a))
    resolver.answers[PUBLIC_NAME] = [["127.0.0.1"]]
    return resolver
