"""The wiring's tables (keyservice/wiring.py) as docs/architecture.md's section "The wiring".

`wiring_markdown()` renders the section; `architecture_rewrite()` puts it between the page's
markers. `python manage.py wiring --markdown` prints it, `--write` rewrites the page, and
tests/architecture/test_wiring.py fails while the page differs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from accounts import hooks
from core.leasedcache import Source
from keyservice.wiring import EMAILS, GAUGES, HOOKS, PRUNERS, READERS

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
REGENERATE = "python manage.py wiring --write"
BEGIN = (
    f"<!-- wiring: begin. Generated from keyservice/wiring.py by `{REGENERATE}`; "
    "do not edit by hand. -->"
)
END = "<!-- wiring: end -->"

POINTS = (
    hooks.ADDRESS_INVITED,
    hooks.USER_HOLDINGS,
    hooks.ACCESS_END,
    hooks.IDENTITY_EVENT,
    hooks.USER_DEACTIVATED,
)

INTRO = """\
## The wiring

How a lower app reaches a higher one without importing it: it defines a typed registry, and
the apps above fill it. They fill it in one place only: `keyservice/wiring.py` holds one table
per registry (which app's function answers which point) and fills every registry from them at
start-up (`keyservice/apps.py`, the `keyservice` app, last in `INSTALLED_APPS`); no app's own
`ready()` registers there. Each registry keeps its typed registration function, and a point
nothing filled raises when called. These are explicit calls in the caller's transaction, not
signals. This section is those tables."""

ELSEWHERE = """\
### Registered elsewhere

- core's own `ready()` (`core/apps.py`): its system checks and, after `migrate`, the leased
  cache's invalidation of every entry (`core.leasedcache.invalidate_after_migrate`)."""


def _name(obj: Callable[..., Any] | type) -> str:
    return f"`{obj.__module__}.{obj.__qualname__}`"


def _hooks() -> list[str]:
    lines = [
        "### `accounts.hooks`: the points of an account's life",
        "",
        "Each point's hooks run in this order, in the caller's transaction.",
        "",
    ]
    for point in POINTS:
        lines.append(f"- `{point.name}`: {point.asked}")
        for entry in HOOKS:
            if entry.point is point:
                lines.append(f"  - {_name(entry.hook)}: {entry.does}")
    return lines


def _emails() -> list[str]:
    lines = [
        "### `outbox.composers`: what each kind of email says",
        "",
        "| kind | label | composer |",
        "| --- | --- | --- |",
    ]
    for email in EMAILS:
        lines.append(
            f"| `{email.kind.value}` | {email.kind.label} | {_name(type(email.composer))} |"
        )
    return lines


def _pruners() -> list[str]:
    lines = [
        "### `core.retention`: each app's pruner of its own history",
        "",
        "Run in this order by the daily task and `manage.py prune_history`.",
        "",
        "| name | rows | retention (days) | prune |",
        "| --- | --- | --- | --- |",
    ]
    for pruner in PRUNERS:
        lines.append(
            f"| `{pruner.name}` | {pruner.noun} | `{pruner.setting_name}` | {_name(pruner.prune)} |"
        )
    return lines


def _gauges() -> list[str]:
    lines = [
        "### `core.metrics`: gauges computed at each scrape",
        "",
        "| gauge | label | values | what it says |",
        "| --- | --- | --- | --- |",
    ]
    for gauge in GAUGES:
        lines.append(
            f"| `{gauge.name}` | `{gauge.label}` | {_name(gauge.values)} | {gauge.documentation} |"
        )
    return lines


def _announces(source: Source) -> str:
    names = ", ".join(f"`{topic.name}` of `{attname}`" for topic, attname in source.announces)
    if source.watched is not None:
        return f"{names} (writes of {', '.join(f'`{w}`' for w in source.watched)} only)"
    if source.ignored:
        return f"{names} (writes of only {', '.join(f'`{i}`' for i in source.ignored)}: nothing)"
    return names


def _readers() -> list[str]:
    lines = [
        "### `core.leasedcache`: the cached readers and the tracked models",
        "",
        "Each reader's query reads these models; every write of their rows announces what it",
        "changes (before its commit and after it, waiting for every lease holder), and is",
        "refused while the cache's Redis is down.",
        "",
        "| reader | query | model | its writes announce |",
        "| --- | --- | --- | --- |",
    ]
    for reader in READERS:
        for source in reader.sources:
            lines.append(
                f"| {reader.reader} | `{reader.query}` | `{source.model._meta.label}` "
                f"| {_announces(source)} |"
            )
    m2m = [f"`{field.field}`" for reader in READERS for field in reader.m2m]
    if m2m:
        lines += ["", f"Many-to-many edits from either side announce too: {', '.join(m2m)}."]
    return lines


def wiring_markdown() -> str:
    """The section "The wiring", markers excluded, ending with a newline."""
    sections = (_hooks(), _emails(), _pruners(), _gauges(), _readers())
    parts = [INTRO, *map("\n".join, sections), ELSEWHERE]
    return "\n\n".join(parts) + "\n"


def architecture_rewrite(text: str) -> str:
    """`text` (docs/architecture.md) with the section between its markers made current."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + wiring_markdown() + text[end:]


def architecture_section(text: str) -> str:
    """What `text` holds between its markers now."""
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].removeprefix("\n")
