"""`make scaleout`: keyservice on 4 gunicorn replicas, 2 Celery workers and beat behind HAProxy
round robin, on one fresh PostgreSQL database and a private redis-server; then, against the
load balancer: the API contract tests over HTTP, the race (verifies while keys rotate, members
go and users are deactivated through other replicas), the same race with Redis killed and
restarted mid-run, and every key email counted at a local SMTP server.

Writes bench/out/scaleout.json and the generated section of docs/scaling.md
(bench/scaleout_report.py). Environment: SCALEOUT_DB (database name, default
keyservice_scaleout), SCALEOUT_PORTS (e.g. 21200-21299; default: free ports),
SCALEOUT_VERIFIES (default 10000), SCALEOUT_CLIENTS (default 8), DATABASE_URL's server (default
postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from tests.support.rig import Rig  # noqa: E402
from tests.support.smtp import SmtpServer  # noqa: E402

KEY = re.compile(r"\b(spx_[0-9A-Za-z]{20,})\b")


def log(message: str) -> None:
    print(f"scaleout: {message}", flush=True)


def ports() -> list[int]:
    spec = os.environ.get("SCALEOUT_PORTS", "")
    if not spec:
        return []
    low, _, high = spec.partition("-")
    return list(range(int(low), int(high or low) + 1))


def fresh_database(name: str) -> str:
    server = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"))
    base = f"{server.scheme}://{server.netloc}"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", f"{base}/postgres", "-q", "-c", sql], check=True)
    return f"{base}/{name}"


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def contract_tests(rig: Rig, env: dict[str, str]) -> dict:
    """tests/contract over HTTP against the load balancer (tests/contract/conftest.py)."""
    report = rig.run_dir / "contract.xml"
    test_env = {
        **env,
        "KEYSERVICE_CONTRACT_BASE_URL": rig.base_url,
        "DJANGO_SETTINGS_MODULE": "keyservice.settings_test",
    }
    test_env.pop("REDIS_URL")  # the test process runs its own tasks eagerly, as in `make test`
    started = time.monotonic()
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    argv += ["tests/contract", f"--junitxml={report}"]
    proc = subprocess.run(argv, cwd=ROOT, env=test_env, capture_output=True, text=True)
    print(proc.stdout[-3000:], proc.stderr[-2000:], flush=True)
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    counts: dict[str, float] = {
        k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")
    }
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    counts["seconds"] = round(time.monotonic() - started, 1)
    counts["exit_code"] = proc.returncode
    return counts


SENT = re.compile(r"outbox\.tasks\.outbox_send\[[^\]]+\] succeeded in [0-9.]+s: 'sent'")


def worker_sends(rig: Rig) -> dict[str, int]:
    """Emails each Celery worker sent (its log's outbox tasks that answered 'sent')."""
    return {
        name: len(SENT.findall(proc.log.read_text(errors="replace")))
        for name, proc in rig.procs.items()
        if name.startswith("worker")
    }


def emails(smtp: SmtpServer, keys: list[str]) -> dict:
    """Every key email exactly once: wait until no outbox row is pending, then count."""
    from apikeys.models import ApiKey
    from outbox.models import OutboxEmail

    started = time.monotonic()
    rows = OutboxEmail.objects.filter(kind=ApiKey.EmailKind.NEW_KEY)
    while (
        rows.filter(state=OutboxEmail.State.PENDING).exists() and time.monotonic() - started < 180
    ):
        time.sleep(1)
    time.sleep(3)  # a message in flight when the last row was marked reaches the server
    states = Counter(rows.values_list("state", flat=True))
    per_key = Counter(k for m in smtp.messages for k in KEY.findall(m.get_content()))
    counts = Counter(per_key.get(key, 0) for key in keys)
    return {
        "keys_issued": len(keys),
        "outbox_rows": dict(states),
        "messages": len(smtp.messages),
        "keys_emailed_once": counts[1],
        "keys_never_emailed": counts[0],
        "keys_emailed_more_than_once": sum(n for c, n in counts.items() if c > 1),
        "messages_for_unknown_keys": sum(1 for k in per_key if k not in set(keys)),
        "drain_seconds": round(time.monotonic() - started, 1),
    }


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(f"signal {signum}")  # runs the finally below: every process is stopped


def main() -> int:
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGHUP, _terminated)
    began = time.monotonic()
    verifies = int(os.environ.get("SCALEOUT_VERIFIES", "10000"))
    clients = int(os.environ.get("SCALEOUT_CLIENTS", "8"))
    fixed = ports()
    smtp_port = fixed.pop(0) if fixed else 0
    run_dir = Path(tempfile.mkdtemp(prefix="keyservice-scaleout-"))
    db_url = fresh_database(os.environ.get("SCALEOUT_DB", "keyservice_scaleout"))
    secret_env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "KEYSERVICE_ENCRYPTION_KEY": secrets.token_hex(32),
        "KEYSERVICE_DIGEST_SECRET": secrets.token_urlsafe(48),
        # Short sweeps: mail whose broker message died with Redis goes out within seconds.
        "KEYSERVICE_OUTBOX_SWEEP_SECONDS": "5",
        "KEYSERVICE_OUTBOX_STALE_SECONDS": "20",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    smtp = SmtpServer()
    if smtp_port:
        smtp.port = smtp_port
        smtp.controller.port = smtp_port
    smtp.start()
    rig = Rig(run_dir, db_url, {**secret_env, "EMAIL_URL": smtp.url}, ports=fixed)
    results: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "target_verifies": verifies,
        "clients": clients,
    }
    try:
        env = rig.service_env()
        log(f"database {db_url.rsplit('/', 1)[1]}, logs in {run_dir}")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        rig.start()
        log(f"up: HAProxy {rig.base_url} → {rig.replica_ports}, Redis :{rig.redis_port}")
        results["rig"] = {
            "replicas": len(rig.replica_ports),
            "gunicorn_workers_per_replica": rig.workers,
            "celery_workers": rig.celery_workers,
            "beat": rig.beat,
            "verify_cache_setting": env["KEYSERVICE_LEASED_CACHE"],
            "verify_cache_in_build": any(
                "KEYSERVICE_LEASED_CACHE" in p.read_text()
                for p in (ROOT / "keyservice" / "settings").glob("*.py")
            ),
            "machine": f"{os.cpu_count()} cores, {platform.platform()}",
            "haproxy": subprocess.run(
                ["haproxy", "-v"], capture_output=True, text=True
            ).stdout.splitlines()[0],
        }
        log("contract tests over HTTP against HAProxy")
        results["contract"] = contract_tests(rig, env)
        os.environ.update(env)
        import django

        django.setup()
        from tests.support.race import Race

        names = list(rig.replica_ports)
        log(f"race: {verifies} verifies, {clients} clients")
        race = Race(rig.base_url, per_kind=12, controls=6, replicas=names)
        race.seed("a")
        before = rig.stats()
        results["race"] = race.run(verifies=verifies, clients=clients)
        after = rig.stats()
        results["race"]["haproxy_stot_delta"] = {n: after[n] - before.get(n, 0) for n in after}
        log(json.dumps(results["race"]))

        outage_verifies = max(verifies * 3 // 10, 300)
        log(f"outage race: {outage_verifies} verifies, Redis killed at 30%, restarted at 65%")
        outage = Race(rig.base_url, per_kind=5, controls=3, replicas=names)
        outage.seed("b")

        marks: dict[str, float] = {}

        def redis_kill() -> None:
            rig.procs["redis"].kill()
            marks["kill"] = time.monotonic()

        def redis_restart() -> None:
            time.sleep(max(0.0, marks["kill"] + 8 - time.monotonic()))  # down ≥ 8 s
            rig.redis_start()
            marks["restart"] = time.monotonic()

        results["outage"] = outage.run(
            verifies=outage_verifies, clients=clients, at={0.3: redis_kill, 0.65: redis_restart}
        )
        log(json.dumps(results["outage"]))
        results["emails"] = emails(smtp, race.keys_issued + outage.keys_issued)
        results["emails"]["drained_seconds_after_redis_restart"] = round(
            time.monotonic() - marks["restart"], 1
        )
        results["emails"]["sent_per_worker"] = worker_sends(rig)
        log(json.dumps(results["emails"]))
    finally:
        rig.stop()
        smtp.stop()
    if not os.environ.get("SCALEOUT_KEEP_LOGS"):
        shutil.rmtree(run_dir, ignore_errors=True)
    results["wall_seconds"] = round(time.monotonic() - began, 1)
    OUT.mkdir(exist_ok=True)
    (OUT / "scaleout.json").write_text(json.dumps(results, indent=2) + "\n")
    from bench import scaleout_report

    scaleout_report.render(results)
    failures = scaleout_report.failures(results)
    for failure in failures:
        log(f"FAILED: {failure}")
    log(f"done in {results['wall_seconds']} s: {'FAILED' if failures else 'all checks hold'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
