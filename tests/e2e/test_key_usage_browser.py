"""The key's usage in the real browser: last use and the 30-day chart beside the key, and the
"your previous key is still in use" notice after a rotation, dismissed with its button
(issue 13, parts 1-2). The live server runs in this process: its uses are flushed and
collected here, as the flush thread and the periodic task would."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from apikeys.usage.counting import usage_buffer_take, usage_flush_local
from tests.e2e.test_journeys import (
    api_get,
    request_api_key,
    sign_in_with_google_from_the_sign_in_page,
)

pytestmark = pytest.mark.e2e


def test_the_home_page_charts_the_keys_uses_and_warns_that_the_old_key_is_still_in_use(
    page, google, snap, settings
):
    settings.KEYSERVICE_USAGE_REDIS_URL = ""  # flush straight to the database
    usage_buffer_take()
    google.login_as("grace@example.com", "Grace Hopper")
    sign_in_with_google_from_the_sign_in_page(page)
    user = User.objects.get(email="grace@example.com")
    old = request_api_key(page)
    for _ in range(3):
        assert api_get(page, "/pixelStripeApi/projects", user=user, key=old).status == 200
    page.goto("/")
    new = request_api_key(page)
    assert api_get(page, "/pixelStripeApi/projects", user=user, key=new).status == 200
    for _ in range(2):
        assert api_get(page, "/pixelStripeApi/projects", user=user, key=old).status == 401
    usage_flush_local()

    page.goto("/")
    notice = page.get_by_role("status").filter(has_text="Your previous key")
    expect(notice).to_contain_text(f"…{old[-4:]} was used 2 times since you replaced it")
    expect(notice).to_contain_text("via the public API")
    expect(page.locator("#key-last-used")).to_contain_text("127.0.0.1")
    chart = page.get_by_role("img", name="Uses per day over the last 30 days")
    expect(chart).to_be_visible()
    assert chart.locator("rect.accepted").count() == 1  # today: the new key's one use
    snap(page, "8-key-usage", full_page=True)

    notice.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".messages")).to_contain_text("Notice dismissed")
    expect(page.get_by_text("Your previous key")).to_have_count(0)
