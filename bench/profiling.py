# ruff: noqa: S603  (subprocesses are this repository's own tools, argument lists)
"""A py-spy profile of the gunicorn workers under verify load, in shares.

The samples are folded into components (by the file of the innermost frame: psycopg, redis-py,
gunicorn, DRF, keyservice, middleware, Django, …) and into the functions that matter (FUNCTIONS).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench.config import OUT, QUICK, VENV_BIN
from bench.load import wrk
from bench.processes import Gunicorn

COMPONENTS = [  # (label, path prefixes of the innermost frame's file as py-spy prints it)
    ("psycopg (PostgreSQL wire, waiting included)", ("psycopg/", "psycopg_binary/")),
    (
        "redis-py (waiting included: the lease thread's blocking XREAD, the usage flush)",
        ("redis/",),
    ),
    ("gunicorn (HTTP parsing, socket I/O, close)", ("gunicorn/",)),
    ("DRF", ("rest_framework/",)),
    ("keyservice code", ("api/", "apikeys/", "teams/", "accounts/", "keyservice/")),
    ("third-party middleware (csp, whitenoise, allauth)", ("csp/", "whitenoise/", "allauth/")),
    ("Django", ("django/",)),
]
FUNCTIONS = [
    ("gunicorn: handle one request (all of it)", "handle_request (gunicorn/workers/"),
    ("Django WSGIHandler.__call__ (middleware + view)", "__call__ (django/core/handlers/wsgi.py"),
    ("lean transport (api/lean.py)", "view (api/lean.py"),
    ("DRF APIView.dispatch", "dispatch (rest_framework/views.py"),
    ("verify_answer (the view body)", "verify_answer (api/internal_views.py"),
    ("authorize_project", "authorize_project (api/auth.py"),
    ("credential_lookup (one SQL query)", "credential_lookup (apikeys/verifier/credentials.py"),
    ("DB connection health check (SELECT 1)", "close_if_health_check_failed ("),
    ("HMAC digests (key and token)", "digest ("),
    (
        "DRF APIView.initial (negotiation, permission/throttle hooks)",
        "initial (rest_framework/views.py",
    ),
    ("DRF finalize_response + JSON rendering", "finalize_response (rest_framework/views.py"),
    ("request.data (JSON parsing)", "data (rest_framework/request.py"),
    ("gunicorn access log line", "access (gunicorn/glogging.py"),
    ("csp middleware", "(csp/middleware.py"),
]


def profile_verify(server: Gunicorn, target: dict) -> dict:
    seconds = 4 if QUICK else 10
    raw = OUT / "profile-verify.txt"
    spy = subprocess.Popen(
        [
            str(VENV_BIN / "py-spy"),
            "record",
            "--pid",
            str(server.proc.pid),
            "--subprocesses",
            "--rate",
            "200",
            "--duration",
            str(seconds),
            "--format",
            "raw",
            "-o",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1)
    wrk(server, target, seconds + 1)
    _, err = spy.communicate(timeout=60)
    if spy.returncode != 0 or not raw.exists():
        return {"error": err.decode(errors="replace")[-500:]}
    return analyze_profile(raw)


def analyze_profile(raw: Path) -> dict:
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if frames and frames[0].startswith(("process ", "thread ")):
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += n
        match = re.search(r"\(([^()]*?):\d+\)$", frames[-1])
        path = match[1] if match else ""
        for name, prefixes in COMPONENTS:
            if path.startswith(prefixes):
                own[name] += n
                break
        else:
            own["standard library and other"] += n
        for label, needle in FUNCTIONS:
            if any(needle in f for f in frames):
                inclusive[label] += n
    return {
        "samples": total,
        "self_by_component": {k: v / total for k, v in own.most_common()},
        "inclusive": {label: inclusive[label] / total for label, _ in FUNCTIONS},
    }
