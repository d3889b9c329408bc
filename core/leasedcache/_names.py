"""What an answer depends on and what a write announces: names of the form `ks:v:<topic>:<id>`.

The names (and the Redis keys of core.leasedcache._leases) keep the `ks:v:` prefix of the
version stamps they replace, so a holder of the previous release drops the same entries.
"""

from __future__ import annotations

from enum import StrEnum

PREFIX = "ks:v:"
# The one name every answer depends on: announcing it drops every entry everywhere.
WILDCARD = f"{PREFIX}g:0"


class Topic(StrEnum):
    """What a cached answer can depend on, and what a tracked row's write names."""

    USER = "u"
    PROJECT = "p"  # a project's own row (and its access list)
    # What the public project read adds to a project: its webhook settings and latest files.
    # Apart from PROJECT, so an upload drops no credential's answer, only the read's extras.
    PROJECT_EXTRAS = "x"
    TOKEN = "t"  # noqa: S105 (a topic, not a secret)


def dependency(topic: Topic, pk: object) -> str:
    """The name of `topic` number `pk` (a user's, a project's, a service token's)."""
    return f"{PREFIX}{topic.value}:{pk}"
