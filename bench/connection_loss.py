"""Connection loss: every database connection killed twice during a verify load run.

The workers' persistent connections die; the answers other than 200 are what it cost.
"""

from __future__ import annotations

import threading
import time

from bench.config import DB, PG_HOST, PG_PORT, PG_USER, QUICK
from bench.load import wrk
from bench.processes import Gunicorn


def connection_loss(server: Gunicorn, target: dict) -> dict:
    """Terminate every backend of the bench database twice during a verify load run: the
    persistent connections of all workers die. Answers other than 200 are counted."""
    seconds = 4 if QUICK else 8
    result: dict = {}

    def load() -> None:
        result.update(wrk(server, target, seconds))

    thread = threading.Thread(target=load)
    thread.start()
    killed = 0
    for _ in range(2):
        time.sleep(seconds / 3)
        import psycopg

        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (DB,),
            ).fetchall()
            killed += len(rows)
    thread.join()
    from django.db import connection

    connection.close()  # the driver's own connection was terminated too
    return {"requests": result["requests"], "terminated": killed, "not_200": result["unexpected"]}
