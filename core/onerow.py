"""One read-only query in one database round trip: its own connection health check, and a
prepared statement, planned once per connection.

The hot readers (the credential lookup, the public read's extras) run one fixed query each on
every cache miss. Sent as Django sends queries (parameters bound in the client, the simple
protocol) PostgreSQL parses and plans them on every execution: for the credential query that
was 0.35-0.45 ms of PostgreSQL's CPU against 0.05 ms of execution (docs/performance.md).
`prepared_cursor()` binds parameters on the server and prepares the statement on its first
execution on a connection; later executions on that connection skip parsing and, once
PostgreSQL settles on a generic plan (after five), planning.

The connection's `prepare_threshold` decides (settings/database.py, KEYSERVICE_DB_PREPARED):
None turns preparing off (behind a pooler in transaction mode that cannot keep prepared
statements), and the same queries run unprepared, with the same answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

Params = Mapping[str, str | int | datetime | None]


class _PreparedCursor(psycopg.Cursor[Any]):
    """psycopg's server-binding cursor, preparing every statement it executes (psycopg keeps
    the connection's prepared statements, at most `prepared_max`, and re-prepares on its own
    after a failed transaction)."""

    def execute(  # the same call, another default
        self,
        query: Any,
        params: Any = None,
        *,
        prepare: bool | None = True,
        binary: bool | None = None,
    ) -> _PreparedCursor:
        super().execute(query, params, prepare=prepare, binary=binary)
        return self


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log for it (DEBUG, CaptureQueriesContext): the statement with its
    parameters composed, as Django logs a server-binding cursor's (psycopg keeps no query
    text for a prepared execution)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(connection.ops.compose_sql(sql, params)):  # type: ignore[attr-defined]
            return CursorWrapper.execute(self, sql, params)


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """A cursor of Django's connection (its error wrapping, query log and execute wrappers)
    whose statements are prepared: for fixed queries with named parameters."""
    # What connection.cursor() does around the cursor it creates (BaseDatabaseWrapper._cursor
    # and _prepare_cursor), with this cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    wrapper = _LoggedCursor if connection.queries_logged else CursorWrapper
    with connection.wrap_database_errors:
        cursor = wrapper(_PreparedCursor(connection.connection), connection)
    with cursor:
        yield cursor


def fetch_one_row(sql: str, params: Params) -> tuple[Any, ...]:
    """Run a read-only query that always answers one row, prepared (`prepared_cursor`), in one
    database round trip, health check included.

    With CONN_HEALTH_CHECKS on, Django sends `SELECT 1` before the first query of every
    request on a reused connection: a second round trip on the hot path (measured in
    docs/performance.md). This query is read-only and idempotent, so it is its own health
    check: if the reused connection turns out to be dead, it is closed and the query runs once
    more on a new connection — what Django's check would have done, without its cost when
    the connection is fine. Inside a transaction, or when Django already checked, nothing
    changes.
    """
    row = fetch_optional_row(sql, params)
    if row is None:  # selected FROM one constant row: the query always answers one row
        raise RuntimeError("the query returned no row")
    return row


def fetch_optional_row(sql: str, params: Params) -> tuple[Any, ...] | None:
    """`fetch_one_row` for a query that may answer no row (None)."""
    # health_check_enabled/health_check_done (Django 4.1+) are missing from django-stubs.
    checks_itself = (
        connection.connection is not None
        and connection.health_check_enabled  # type: ignore[attr-defined]
        and not connection.health_check_done  # type: ignore[attr-defined]
        and not connection.in_atomic_block
    )
    if checks_itself:
        connection.health_check_done = True  # type: ignore[attr-defined]  # this query is the check
    try:
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            return _row(cursor.fetchone())
    except (OperationalError, InterfaceError):
        if not checks_itself or connection.is_usable():
            raise  # not a dead connection: a real error
    connection.close()
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return _row(cursor.fetchone())


def _row(row: Any) -> tuple[Any, ...] | None:
    return None if row is None else tuple(row)
