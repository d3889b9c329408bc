"""The run's PostgreSQL and Redis: fresh (migrated) databases, their URLs, purged queues.

Also PostgreSQL's own counters (statements, rows written), read before and after a load run
to see what the database did during it.
"""

from __future__ import annotations

import os
import sys

from bench.config import DB, PG_HOST, PG_PORT, PG_USER, REDIS_URL
from bench.processes import run


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    ) as conn:
        for statement in statements:
            conn.execute(statement)


def db_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_database(name: str) -> None:
    admin_sql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",  # noqa: S608
        f"DROP DATABASE IF EXISTS {name}",
    )


def fresh_database(name: str = DB) -> None:
    drop_database(name)
    admin_sql(f"CREATE DATABASE {name}")
    env = {**os.environ, "DATABASE_URL": db_url(name)}
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env)
    if name == DB:
        run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"])


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL)


def purge_queue(name: str) -> None:
    """Delete a Celery queue's messages (kombu keeps one list per priority step)."""
    client = redis_client()
    for key in client.keys(name + "*"):
        if key == name.encode() or key.startswith(name.encode() + b"\x06\x16"):
            client.delete(key)


def pg_counters() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT xact_commit + xact_rollback, tup_inserted, tup_updated, tup_deleted "
            "FROM pg_stat_database WHERE datname = current_database()"
        )
        xacts, ins, upd, dele = cur.fetchone()
    connection.close()
    return {"transactions": xacts, "inserted": ins, "updated": upd, "deleted": dele}
