"""A warning logged at most once per interval per process: an outage (of the cache, say) is
reported, without one line per request flooding the log."""

from __future__ import annotations

import logging
import time


class QuietWarning:
    def __init__(self, logger: logging.Logger, every_seconds: float = 60.0) -> None:
        self.logger = logger
        self.every_seconds = every_seconds
        self.last = -every_seconds

    def warn(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self.last >= self.every_seconds:
            self.last = now
            self.logger.warning(message, *args)

    def due_now(self) -> None:
        """The next warning is logged whenever it comes (for tests)."""
        self.last = float("-inf")
