"""core.onerow: the hot readers' fixed queries run prepared, with the answers Django's own
cursor gives, and run unprepared (same answers) when KEYSERVICE_DB_PREPARED turns it off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.onerow import fetch_one_row, fetch_optional_row

pytestmark = pytest.mark.django_db

# Every type the hot readers read back: text, integers, booleans, NULL, timestamptz, JSON text.
SQL = """
    SELECT %(name)s::text, %(number)s::bigint + 1, %(flag)s::boolean, NULL::text,
           %(when)s::timestamptz, json_build_object('n', %(number)s::bigint)::text
"""
PARAMS = {
    "name": "Olivia's project",
    "number": 41,
    "flag": "true",
    "when": datetime(2026, 12, 7, 15, 0, 1, 123000, tzinfo=UTC),
}


def _prepared(marker: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of this connection's prepared statements naming `marker`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [f"%{marker}%"],
        )
        return cursor.fetchall()


def test_the_default_settings_let_the_hot_queries_be_prepared():
    assert settings.KEYSERVICE_DB_PREPARED is True
    assert settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] is not None
    connection.ensure_connection()
    assert connection.connection.prepare_threshold is not None


def test_a_hot_query_answers_as_djangos_own_cursor_does():
    with connection.cursor() as cursor:
        cursor.execute(SQL, PARAMS)
        expected = cursor.fetchone()
    assert fetch_one_row(SQL, PARAMS) == expected
    assert fetch_one_row(SQL, PARAMS) == expected  # the prepared execution too
    assert expected[4] == PARAMS["when"]


def test_a_hot_query_is_prepared_once_per_connection_then_planned_no_more():
    sql = "SELECT %(number)s::bigint * 2 AS prepared_once_marker"
    for n in range(12):
        assert fetch_one_row(sql, {"number": n}) == (2 * n,)
    [(generic, custom)] = _prepared("prepared_once_marker")
    # PostgreSQL plans the first five executions for their values, then keeps a generic plan.
    assert custom <= 5 and generic + custom == 12


def test_with_prepared_statements_off_the_same_query_runs_unprepared(monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    sql = "SELECT %(number)s::bigint * 3 AS unprepared_marker"
    for n in range(8):
        assert fetch_one_row(sql, {"number": n}) == (3 * n,)
    assert _prepared("unprepared_marker") == []


def test_a_query_that_may_find_nothing_answers_none():
    assert fetch_optional_row("SELECT 1 WHERE %(n)s::int > 1", {"n": 0}) is None
    with pytest.raises(RuntimeError):
        fetch_one_row("SELECT 1 WHERE %(n)s::int > 1", {"n": 0})


def test_the_query_log_shows_the_statement_with_its_values():
    with CaptureQueriesContext(connection) as queries:
        fetch_one_row("SELECT %(name)s::text AS logged_marker", {"name": "Olivia"})
    [query] = queries.captured_queries
    assert "logged_marker" in query["sql"] and "'Olivia'" in query["sql"]


def test_a_failed_transaction_leaves_the_prepared_query_working():
    from django.db import DatabaseError, transaction

    sql = "SELECT 10 / %(n)s::int AS after_failure_marker"
    assert fetch_one_row(sql, {"n": 5}) == (2,)
    with pytest.raises(DatabaseError), transaction.atomic():
        fetch_one_row(sql, {"n": 0})  # division by zero inside the transaction
    assert fetch_one_row(sql, {"n": 2}) == (5,)
