"""A flood of public leak reports does not slow verify, the hot path: real gunicorn (2
workers), a real Redis broker and cache, PostgreSQL. Verify's latency is measured alone, while
the revocation endpoint is flooded (unthrottled, as a flood from many addresses would be), and
while the cheapest request there is (an unrouted path's 404) is flooded the same way: the
leak endpoint should cost verify no more than that. The reports wait in Redis behind one drain
message, whatever their number (apikeys.leaks.reports). Figures: test-artifacts/leak-flood.json."""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path

import redis
import requests

from apikeys import crypto
from apikeys.models import KeyEvent
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from tests.support.gunicorn import Gunicorn

REPORT = Path(__file__).resolve().parents[2] / "test-artifacts"
# The report flood and the 404 flood alternate in short rounds, so load from outside the test
# (another test process on the same cores) falls on both alike: a same-run comparison.
ROUNDS = 4
SECONDS = 1.0  # per flood per round
FLOODERS = 3
HTTPS = {"X-Forwarded-Proto": "https"}


def _verify_latencies(base: str, body: dict, token: str, stop: threading.Event) -> list[float]:
    times: list[float] = []
    with requests.Session() as session:
        while not stop.is_set():
            started = time.perf_counter()
            response = session.post(
                base + "/internal/v1/verify",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return times


def _flood(url: str, body: dict, stop: threading.Event, statuses: list[int]) -> None:
    with requests.Session() as session:
        while not stop.is_set():
            statuses.append(session.post(url, json=body, headers=HTTPS, timeout=30).status_code)


def _phase(
    base: str, verify_body: dict, token: str, flood_url: str | None, flood_body: dict
) -> tuple[list[float], list[int]]:
    """Verify's latencies while `flood_url` is flooded (or nothing), and the flood's statuses."""
    stop = threading.Event()
    statuses: list[int] = []
    flooders = [
        threading.Thread(target=_flood, args=(flood_url, flood_body, stop, statuses))
        for _ in range(FLOODERS if flood_url else 0)
    ]
    for thread in flooders:
        thread.start()
    timer = threading.Timer(SECONDS, stop.set)
    timer.start()
    latencies = _verify_latencies(base, verify_body, token, stop)
    for thread in flooders:
        thread.join(timeout=60)
    return latencies, statuses


def _summary(phases: list[tuple[list[float], list[int]]]) -> dict:
    latencies = [t for phase in phases for t in phase[0]]
    statuses = [s for phase in phases for s in phase[1]]
    seconds = SECONDS * len(phases)
    ordered = sorted(latencies)
    return {
        "verify_requests": len(latencies),
        "verify_per_second": round(len(latencies) / seconds, 1),
        "verify_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "verify_p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "flood_requests": len(statuses),
        "flood_per_second": round(len(statuses) / seconds, 1),
        "flood_statuses": sorted(set(statuses)),
    }


def test_a_flood_of_leak_reports_costs_verify_no_more_than_a_flood_of_404s(
    postgres, owner, showroom, redis_url, broker_queue
):
    key = apikey_issue(user=owner).plaintext
    token = service_token_create(name="flood").plaintext
    verify_body = {"apiKey": key, "userId": owner.public_id, "projectId": showroom.public_id}
    strings = [crypto.generate_key() for _ in range(99)] + [key]  # the active key among them
    leaks_queue = f"{broker_queue}-leaks"
    report = {"keys": strings}
    with Gunicorn(
        GUNICORN_WORKERS="2",
        DJANGO_TRUST_X_FORWARDED_PROTO="true",
        CACHE_URL=redis_url,
        KEYSERVICE_TEST_WORKER_BROKER=redis_url,
        KEYSERVICE_TEST_WORKER_QUEUE=broker_queue,
        KEYSERVICE_TEST_WORKER_EMAIL_URL="smtp://127.0.0.1:9",
        KEYSERVICE_THROTTLE_KEY_REPORTS_CLIENT="1000000/60s",
        KEYSERVICE_THROTTLE_KEY_REPORTS_GLOBAL="1000000/60s",
        KEYSERVICE_LEAK_REPORTS_QUEUE=leaks_queue,
        KEYSERVICE_LEAK_REPORTS_PENDING_MAX="1000000",
    ) as server:
        base = f"http://127.0.0.1:{server.port}"
        _phase(base, verify_body, token, None, {})  # warm both workers up
        alone = _summary([_phase(base, verify_body, token, None, {})])
        report_rounds, not_found_rounds = [], []
        for _ in range(ROUNDS):
            report_rounds.append(
                _phase(base, verify_body, token, base + "/pixelStripeApi/keys/revoke", report)
            )
            not_found_rounds.append(
                _phase(base, verify_body, token, base + "/pixelStripeApi/nope", report)
            )
        reports, not_found = _summary(report_rounds), _summary(not_found_rounds)
    broker = redis.Redis.from_url(redis_url)
    queued = broker.llen(broker_queue) + broker.llen(leaks_queue)
    waiting = broker.llen(f"{leaks_queue}:pending")
    broker.delete(broker_queue, *broker.keys(f"{leaks_queue}*"))
    broker.close()
    figures = {
        "gunicorn_workers": 2,
        "flooding_threads": FLOODERS,
        "rounds": ROUNDS,
        "seconds_per_flood_per_round": SECONDS,
        "strings_per_report": len(strings),
        "verify_alone": alone,
        "verify_while_reports_flood": reports,
        "verify_while_404s_flood": not_found,
        "report_messages_queued": queued,
        "reports_waiting_in_redis": waiting,
    }
    REPORT.mkdir(exist_ok=True)
    (REPORT / "leak-flood.json").write_text(json.dumps(figures, indent=2) + "\n")

    assert reports["flood_statuses"] == [202]
    assert waiting == reports["flood_requests"]  # every report taken, waiting for the drain
    assert queued == 1  # one drain message, not one per report
    assert KeyEvent.objects.filter(kind=KeyEvent.Kind.LEAK_REVOKED).count() == 0  # no worker
    # Generous (a shared machine): a report costs verify about what the cheapest request does.
    slowest_fair = max(2 * not_found["verify_p50_ms"], not_found["verify_p50_ms"] + 5)
    assert reports["verify_p50_ms"] <= slowest_fair, figures
