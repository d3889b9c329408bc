"""Retention: each app prunes its own history; this registry runs every app's pruner.

Each app's pruner is registered with `pruner_register` (by the wiring, keyservice/wiring.py,
at start-up; core knows no app): a name (the key of the result), the setting holding its
retention in days, how the prune_history command names its rows, and
`prune(before=..., batch_size=...) -> int` (rows deleted). `retention_prune` runs them all, in
registration order (the wiring's table order): the daily Celery task
(core.tasks.retention_prune) and `manage.py prune_history`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)

PRUNE_BATCH_SIZE = 1000


@dataclass(frozen=True)
class Pruner:
    name: str
    setting_name: str
    noun: str  # what the rows are called in the command's output, e.g. "key event(s)"
    prune: Callable[..., int]  # prune(*, before: datetime, batch_size: int) -> int


_pruners: dict[str, Pruner] = {}


def pruner_register(*, name: str, setting_name: str, noun: str, prune: Callable[..., int]) -> None:
    """Register (or replace, under the same name) an app's pruner."""
    _pruners[name] = Pruner(name=name, setting_name=setting_name, noun=noun, prune=prune)


def pruners() -> list[Pruner]:
    """The registered pruners, in registration order."""
    return list(_pruners.values())


def retention_prune(
    *, now: datetime | None = None, batch_size: int = PRUNE_BATCH_SIZE
) -> dict[str, int]:
    """Run every registered pruner on the rows older than its retention (its setting, in
    days), in batches of `batch_size`. Returns the rows deleted per pruner name."""
    now = now or timezone.now()
    pruned = {
        pruner.name: pruner.prune(before=_cutoff(now, pruner.setting_name), batch_size=batch_size)
        for pruner in pruners()
    }
    logger.info("pruned %s", pruned_describe(pruned=pruned, separator=", "))
    return pruned


def pruned_describe(*, pruned: dict[str, int], separator: str = " and ") -> str:
    """'2 key event(s), 2 outbox email(s){separator}1 webhook delivery(ies)'."""
    parts = [f"{count} {_pruners[name].noun}" for name, count in pruned.items()]
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + separator + parts[-1]


def _cutoff(now: datetime, setting: str) -> datetime:
    days = getattr(settings, setting)
    if not isinstance(days, int) or days < 1:
        raise ImproperlyConfigured(f"{setting} must be a whole number of days, at least 1.")
    return now - timedelta(days=days)
