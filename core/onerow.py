"""One read-only query in one database round trip, its own connection health check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import InterfaceError, OperationalError, connection


def fetch_one_row(sql: str, params: dict[str, str | datetime | None]) -> tuple[Any, ...]:
    """Run a read-only query in one database round trip, health check included.

    With CONN_HEALTH_CHECKS on, Django sends `SELECT 1` before the first query of every
    request on a reused connection: a second round trip on the hot path (measured in
    docs/performance.md). This query is read-only and idempotent, so it is its own health
    check: if the reused connection turns out to be dead, it is closed and the query runs once
    more on a new connection — what Django's check would have done, without its cost when
    the connection is fine. Inside a transaction, or when Django already checked, nothing
    changes.
    """
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
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _one(cursor.fetchone())
    except (OperationalError, InterfaceError):
        if not checks_itself or connection.is_usable():
            raise  # not a dead connection: a real error
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _one(cursor.fetchone())


def _one(row: tuple[Any, ...] | None) -> tuple[Any, ...]:
    if row is None:  # selected FROM one constant row: the query always answers one row
        raise RuntimeError("the credential query returned no row")
    return row
