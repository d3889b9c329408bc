"""What each cached reader's query reads, declared beside the query and installed once.

A reader (the verifier's credential query, the public project read's extras) is cached only
because every write of every row its query reads is announced. It says which in a `Sources`
beside its query: each model with the names its rows' writes announce, and the many-to-many
fields whose add/remove/set/clear do. `sources_install` tracks them (core.leasedcache.
_tracking) and remembers the reader: the wiring installs every reader's sources at start-up
(keyservice/wiring.py, READERS) and its page lists them; a test captures each reader's SQL and
checks that every table it reads is declared (tests/architecture/test_cached_readers.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from core.leasedcache._names import Topic
from core.leasedcache._tracking import track, track_m2m


@dataclass(frozen=True)
class Source:
    """A model a reader reads: its writes announce `announces` ((topic, attname) pairs) unless
    they write only `ignored` fields (or, with `watched`, none of those)."""

    model: type[models.Model]
    announces: tuple[tuple[Topic, str], ...]
    ignored: tuple[str, ...] = ()
    watched: tuple[str, ...] | None = None
    why: str = ""


@dataclass(frozen=True)
class Sources:
    """Everything the cached reader `reader` reads (`m2m`: many-to-many field descriptors,
    whose models must be among `sources`)."""

    reader: str
    query: str  # where the query is: "module.function"
    sources: tuple[Source, ...]
    m2m: tuple[Any, ...] = ()

    def models(self) -> set[type[models.Model]]:
        return {source.model for source in self.sources}


_READERS: dict[str, Sources] = {}


def sources_install(sources: Sources) -> None:
    """Track every model of `sources` (idempotent: the same reader twice changes nothing)."""
    if _READERS.get(sources.reader) == sources:
        return
    _READERS[sources.reader] = sources
    for source in sources.sources:
        track(
            source.model,
            announces=source.announces,
            ignored=source.ignored,
            watched=source.watched,
        )
    for field in sources.m2m:
        track_m2m(field)


def readers() -> Mapping[str, Sources]:
    """Every installed reader's sources, by reader."""
    return dict(_READERS)
