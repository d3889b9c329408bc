"""The wiring on one page: every registry of the apps is filled from keyservice/wiring.py's
tables and from nothing else, and docs/architecture.md shows those tables as they are."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from accounts import hooks
from core import metrics
from core.retention import pruners
from keyservice.wiring import EMAILS, GAUGES, HOOKS, PRUNERS
from keyservice.wiring_page import (
    ARCHITECTURE,
    POINTS,
    REGENERATE,
    architecture_rewrite,
    architecture_section,
    wiring_markdown,
)
from outbox.composers import composer_for, kind_choices


def test_docs_architecture_shows_the_wiring_as_the_tables_say():
    text = ARCHITECTURE.read_text()
    assert architecture_section(text) == wiring_markdown(), (
        f"docs/architecture.md's section 'The wiring' is out of date: run `{REGENERATE}`"
    )
    assert architecture_rewrite(text) == text


def test_the_wiring_command_prints_the_section():
    out = StringIO()
    call_command("wiring", "--markdown", stdout=out)
    assert out.getvalue() == wiring_markdown()


def test_every_hook_point_holds_exactly_the_hooks_of_the_table_in_its_order():
    assert {entry.point for entry in HOOKS} == set(POINTS)
    for point in POINTS:
        assert point.hooks == tuple(entry.hook for entry in HOOKS if entry.point is point)


def test_the_outbox_knows_exactly_the_kinds_of_the_table():
    assert kind_choices() == sorted((e.kind.value, e.kind.label) for e in EMAILS)
    for email in EMAILS:
        assert composer_for(kind=email.kind.value) is email.composer


def test_the_pruners_are_the_table_in_its_order():
    assert pruners() == list(PRUNERS)


def test_the_scrape_gauges_are_the_table():
    assert list(metrics._gauges.values()) == list(GAUGES)


def test_every_hook_point_says_when_accounts_asks_it():
    assert all(point.asked for point in POINTS)
    assert {getattr(hooks, point.name) for point in POINTS} == set(POINTS)
