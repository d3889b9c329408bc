"""Polling real services in the tests: devstack's own helper (no fixed sleeps in assertions'
place)."""

from devstack.processes import wait_until

__all__ = ["wait_until"]
