"""Browser journey: request a key with a lifetime, then "Revoke my key" from the account menu
(headless Chromium, a live server on PostgreSQL, the public API called like a customer would).
Tasks run in-process (eager): the live server's emails land in django.core.mail.outbox."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from apikeys.models import ApiKey, KeyEvent
from tests.e2e.test_journeys import (
    UNAUTHORIZED,
    api_get,
    open_account_menu,
    request_api_key,
    sign_in_with_password,
)

pytestmark = pytest.mark.e2e


def test_an_owner_requests_a_90_day_key_then_revokes_it_and_it_stops_at_once(
    page, owner, showroom, snap
):
    sign_in_with_password(page, "owner@example.com", "pw-owner-123")
    open_account_menu(page)
    page.get_by_role("menuitem", name="Request API Key").click()
    page.get_by_label("90 days").check()
    page.get_by_role("button", name="Request API Key").click()
    expect(page.get_by_role("heading", name="Your new API key")).to_be_visible()
    key = page.locator("#api-key").inner_text().strip()
    stored = ApiKey.objects.get(user=owner)
    expect(page.locator("main")).to_contain_text(f"expires {stored.expires_at:%Y-%m-%d %H:%M} UTC")
    assert api_get(page, "/pixelStripeApi/projects", user=owner, key=key).status == 200

    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.locator("main")).to_contain_text(
        f"Current key {stored.hint}, created {stored.created_at:%Y-%m-%d %H:%M} UTC, "
        f"expires {stored.expires_at:%Y-%m-%d %H:%M} UTC."
    )
    mail.outbox.clear()
    open_account_menu(page)
    page.get_by_role("menuitem", name="Revoke my key").click()
    expect(page.get_by_role("heading", name="Revoke my key")).to_be_visible()
    expect(page.locator("main")).to_contain_text("It stops working immediately")
    snap(page, "revoke-key")
    page.get_by_role("button", name="Revoke my key").click()

    expect(page.locator(".messages")).to_contain_text(f"Your key {stored.hint} was revoked")
    expect(page.locator("main")).to_contain_text("You have no API key yet.")
    expect(page.get_by_role("link", name="Request API Key").last).to_be_visible()
    response = api_get(page, "/pixelStripeApi/projects", user=owner, key=key)
    assert (response.status, response.json()) == (401, UNAUTHORIZED)
    assert ApiKey.objects.filter(user=owner).count() == 1  # none issued
    assert KeyEvent.objects.filter(key=stored, kind="revoked", actor=owner).count() == 1
    [notice] = mail.outbox
    assert notice.subject == "Your keyservice API key was revoked"
    assert stored.hint in notice.body and key not in notice.body

    # A second visit finds no active key: the page says so and offers no form.
    open_account_menu(page)
    page.get_by_role("menuitem", name="Revoke my key").click()
    expect(page.locator("main")).to_contain_text("You have no active API key to revoke.")
    expect(page.get_by_role("button", name="Revoke my key")).to_have_count(0)

    # And a new key can be requested as before.
    page.goto("/")
    assert request_api_key(page) != key
