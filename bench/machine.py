# ruff: noqa: S603  (subprocesses are this repository's own tools, argument lists)
"""The machine the run was on, for the report: CPU, memory, kernel and versions.

Python, PostgreSQL (and shared_buffers), Redis, wrk, Django, DRF, gunicorn and the peer
packages, and the gunicorn.conf.py the servers ran with.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

from bench.config import ROOT


def machine() -> dict:
    def cmd(args: list[str]) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        shared_buffers = cur.fetchone()[0]
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "?",
    )
    from importlib.metadata import version

    import django
    import gunicorn
    import knox  # noqa: F401
    import rest_framework

    return {
        "nproc": cmd(["nproc"]),
        "cpu": cpu,
        "free": cmd(["free", "-m"]),
        "uname": cmd(["uname", "-srmv"]),
        "python": platform.python_version(),
        "postgres": pg,
        "shared_buffers": shared_buffers,
        "redis": cmd(["redis-server", "--version"]) or cmd(["redis-cli", "--version"]),
        "wrk": cmd(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "?",
        "django": django.get_version(),
        "drf": rest_framework.__version__,
        "gunicorn": gunicorn.__version__,
        "djangorestframework-api-key": version("djangorestframework-api-key"),
        "django-rest-knox": version("django-rest-knox"),
        "gunicorn_conf": (ROOT / "gunicorn.conf.py").read_text(),
    }
