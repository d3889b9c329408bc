"""The one error of the development stack: what failed, and what to do about it."""


class DevstackError(Exception):
    """A private server could not be found, started or stopped; the message says why."""
