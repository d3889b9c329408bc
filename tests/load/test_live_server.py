"""Races and load on a live server (loopback only, bounded in time): concurrent key requests,
and verify traffic while keys are rotated and members removed."""

import json
import re
import threading
import time
from pathlib import Path

import requests
from django.test import Client

from apikeys.models import ApiKey
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import apikey_verify
from teams.models import Membership

REPORT = Path(__file__).resolve().parents[2] / "test-artifacts"
KEY_IN_PAGE = re.compile(r'<code id="api-key">(spx_[0-9A-Za-z]+)</code>')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


def session_for(user, base: str) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = requests.Session()
    for cookie in client.cookies.values():
        session.cookies.set(cookie.key, cookie.value)
    session.headers["Referer"] = base + "/keys/request/"
    return session


def test_fifty_concurrent_key_requests_leave_exactly_one_active_key(live_server, postgres, owner):
    base = live_server.url
    sessions = [session_for(owner, base) for _ in range(50)]
    forms = []
    for session in sessions:
        html = session.get(base + "/keys/request/", timeout=30).text
        forms.append({"csrfmiddlewaretoken": TOKEN.search(html)[1], "nonce": NONCE.search(html)[1]})
    barrier = threading.Barrier(50)
    shown: list[str] = []
    statuses: list[int] = []

    def request_key(session, form):
        barrier.wait(timeout=60)
        response = session.post(base + "/keys/request/", data=form, timeout=120)
        statuses.append(response.status_code)
        shown.extend(KEY_IN_PAGE.findall(response.text))

    threads = [
        threading.Thread(target=request_key, args=pair)
        for pair in zip(sessions, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert statuses == [200] * 50
    assert len(shown) == 50 and len(set(shown)) == 50
    assert ApiKey.objects.filter(user=owner, revoked_at__isnull=True).count() == 1
    valid = [k for k in shown if apikey_verify(key=k, user_public_id=owner.public_id).ok]
    assert len(valid) == 1


def test_no_stale_accepts_under_load_while_keys_rotate_and_members_go(
    live_server, postgres, owner, full_member, showroom
):
    url = live_server.url + "/internal/v1/verify"
    token = service_token_create(name="load").plaintext
    owner_key = apikey_issue(user=owner).plaintext
    member_key = apikey_issue(user=full_member).plaintext
    bodies = {
        "rotated": {"apiKey": owner_key, "userId": owner.public_id},
        "removed": {"apiKey": member_key, "userId": full_member.public_id},
    }
    changed_at: dict[str, float] = {}
    results: list[tuple[str, float, int]] = []
    stop = threading.Event()

    def hammer(kind: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        body = {**bodies[kind], "projectId": showroom.public_id, "access": "read"}
        while not stop.is_set():
            started = time.monotonic()
            response = session.post(url, json=body, timeout=30)
            results.append((kind, started, response.status_code))

    threads = [threading.Thread(target=hammer, args=(k,)) for k in ("rotated", "removed") * 2]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        apikey_issue(user=owner)  # commits before returning
        changed_at["rotated"] = time.monotonic()
        time.sleep(1.0)
        Membership.objects.filter(member=full_member).delete()
        changed_at["removed"] = time.monotonic()
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    server_errors = sum(1 for _, _, status in results if status >= 500)
    stale = sum(
        1 for kind, started, status in results if status == 200 and started > changed_at[kind]
    )
    before = sum(1 for kind, started, s in results if s == 200 and started < changed_at[kind])
    after = [s for kind, started, s in results if started > changed_at[kind]]
    REPORT.mkdir(exist_ok=True)
    (REPORT / "load-report.json").write_text(
        json.dumps(
            {
                "requests": len(results),
                "accepted_before_change": before,
                "refused_after_change": len(after),
                "server_errors": server_errors,
                "stale_accepts": stale,
            },
            indent=2,
        )
    )
    assert len(results) > 50
    assert before > 0 and len(after) > 0
    assert server_errors == 0
    assert stale == 0
    assert set(after) <= {401, 403}
