"""Browser journey: renewing a key with an overlap and without, watched through two real
gunicorn processes with the verify cache and its leases on (headless Chromium for the
dashboard; the public API and internal verify called like a customer's code and our own
services would). During the overlap the old key works on both processes; at its end it
answers `401 Unauthorized: Invalid API Key` on both at once, although both had it cached;
renewing without an overlap stops the key at once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from apikeys.models import ApiKey, KeyEvent
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from tests.e2e.test_journeys import UNAUTHORIZED, open_account_menu, sign_in_with_password
from tests.support.gunicorn import Gunicorn

pytestmark = pytest.mark.e2e
OVERLAP_SECONDS = 10  # short, so the test waits for the real end (no clock is frozen)


def renew(page, *, keep: str, checked=None) -> str:
    open_account_menu(page)
    page.get_by_role("menuitem", name="Request API Key").click()
    if checked is not None:
        at_both_widths(page, checked)
    page.get_by_label(keep).check()
    page.get_by_role("button", name="Request API Key").click()
    expect(page.get_by_role("heading", name="Your new API key")).to_be_visible()
    return page.locator("#api-key").inner_text().strip()


def at_both_widths(page, checked) -> None:
    """axe (0 serious or critical) at 1280 px and at 390 px, with no sideways scroll."""
    size = page.viewport_size
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        checked(page)
    page.set_viewport_size(size)


class Surfaces:
    """The public project read and internal verify of one key, on each gunicorn process."""

    def __init__(self, servers, *, token: str, user, project) -> None:
        self.servers, self.token, self.user, self.project = servers, token, user, project

    def answers(self, key: str) -> list[tuple[int, dict]]:
        query = urlencode({"userId": self.user.public_id, "apikey": key})
        body = json.dumps(
            {"apiKey": key, "userId": self.user.public_id, "projectId": self.project.public_id}
        )
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.token}",
            "X-Forwarded-Proto": "https",
        }
        seen = []
        for server in self.servers:
            public = server.request(
                "GET", f"/pixelStripeApi/projects/{self.project.public_id}?{query}", headers
            )
            verify = server.request("POST", "/internal/v1/verify", headers, body)
            seen += [(public[0], json.loads(public[2])), (verify[0], json.loads(verify[2]))]
        return seen

    def works(self, key: str) -> bool:
        return all(status == 200 for status, _ in self.answers(key))

    def refused(self, key: str) -> bool:
        return self.answers(key) == [(401, UNAUTHORIZED)] * 2 * len(self.servers)


@pytest.fixture
def processes(postgres, verify_cache, settings):
    """Two gunicorn processes holding leases on the verify cache, ready to answer."""
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = OVERLAP_SECONDS
    env = {
        "KEYSERVICE_LEASED_CACHE": "true",
        "KEYSERVICE_LEASED_CACHE_REDIS_URL": verify_cache,
        "DJANGO_TRUST_X_FORWARDED_PROTO": "true",
    }
    with Gunicorn(**env) as first, Gunicorn(**env) as second:
        yield [first, second]


def test_an_owner_renews_with_an_overlap_then_without_and_the_old_keys_stop_on_both_processes(
    page, owner, showroom, processes, snap, checked
):
    old = apikey_issue(user=owner).plaintext
    surfaces = Surfaces(
        processes, token=service_token_create(name="edge").plaintext, user=owner, project=showroom
    )
    deadline = time.monotonic() + 60
    while not surfaces.works(old):  # both processes loaded Django; then each caches it
        assert time.monotonic() < deadline, processes[0].output()[-2000:]
        time.sleep(0.2)
    assert surfaces.works(old)

    sign_in_with_password(page, "owner@example.com", "pw-owner-123")
    new = renew(page, keep=f"{OVERLAP_SECONDS} seconds", checked=checked)
    previous = ApiKey.objects.get(user=owner, overlap_until__isnull=False)
    expect(page.locator("#previous-key-notice")).to_contain_text(previous.hint)
    assert surfaces.works(old) and surfaces.works(new)  # both keys, both processes
    assert datetime.now(UTC) < previous.overlap_until  # (still inside the overlap)
    page.goto("/keys/")
    expect(page.locator("#overlap-notice")).to_contain_text(
        f"{previous.overlap_until:%Y-%m-%d %H:%M:%S} UTC (in less than a minute)"
    )
    at_both_widths(page, checked)
    snap(page, "12-key-overlap")

    time.sleep(max(0.0, (previous.overlap_until - datetime.now(UTC)).total_seconds()) + 0.05)
    assert surfaces.refused(old)  # at its end, on both processes, with no write to tell them
    assert surfaces.works(new)

    page.goto("/keys/")
    expect(page.locator("#overlap-notice")).to_have_count(0)
    newest = renew(page, keep="No: it stops now")
    expect(page.locator("main")).to_contain_text("Any previous key has stopped working.")
    assert surfaces.refused(new) and surfaces.works(newest)
    assert KeyEvent.objects.filter(user=owner, kind=KeyEvent.Kind.OVERLAP_STARTED).count() == 1
