"""The owner's Security page and audit trail in the real browser (headless Debian Chromium,
live server on PostgreSQL): reached from the account menu, showing who reaches each project,
the webhook facts and the trail, exporting the CSV, and never tripping the strict CSP."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apikeys.services import apikey_issue
from audit.services import Actor
from teams.models import Invitation, Role
from teams.services import membership_upsert
from tests.e2e.test_journeys import sign_in_with_password
from tests.support.accounts import verified_user
from webhooks.configure import webhook_secret_rotate, webhook_settings_update

pytestmark = pytest.mark.e2e


@pytest.fixture
def account(owner, showroom, configurator):
    """Olivia's account: two members, keys, a pending invitation, a webhook."""
    fred = verified_user("fred@example.com", "pw-fred-12345", name="Fred Full")
    rita = verified_user("rita@example.com", "pw-rita-12345", name="Rita Reader")
    as_owner = Actor.of(owner)
    membership_upsert(
        owner=owner, member=fred, role=Role.FULL, projects=[showroom, configurator], actor=as_owner
    )
    membership_upsert(
        owner=owner, member=rita, role=Role.READONLY, projects=[showroom], actor=as_owner
    )
    for user in (owner, fred):
        apikey_issue(user=user, actor=user)
    Invitation.objects.create(
        owner=owner,
        email="new@example.com",
        role=Role.READONLY,
        base_url="http://testserver/",
        expires_at=timezone.now() + timedelta(days=7),
    ).projects.set([configurator])
    webhook_settings_update(
        project=showroom,
        url="https://hooks.example.com/keyservice",
        events=["build.uploaded"],
        actor=as_owner,
    )
    webhook_secret_rotate(project=showroom, actor=as_owner)
    return fred, rita


def test_the_owner_opens_the_security_page_and_exports_the_audit_trail(
    page, owner, showroom, configurator, account, snap
):
    _fred, rita = account
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in_with_password(page, "owner@example.com", "pw-owner-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page).to_have_url(re.compile(r"/security/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security")

    show = page.locator("section", has=page.get_by_role("heading", name=re.compile("Showroom")))
    rows = show.locator("table tbody tr")
    expect(rows).to_have_count(3)  # Olivia, Fred, Rita
    fred_row = rows.filter(has_text="fred@example.com")
    expect(fred_row).to_contain_text("FULL")
    expect(fred_row).to_contain_text("Configurator, Showroom")
    expect(fred_row.locator("code")).to_have_text(re.compile(r"^spx_"))
    expect(rows.filter(has_text="rita@example.com")).to_contain_text("no key")
    expect(show).to_contain_text("https://hooks.example.com/keyservice")
    conf = page.locator("section", has=page.get_by_role("heading", name=re.compile("Configurator")))
    expect(conf.locator("table tbody tr")).to_have_count(2)  # Olivia, Fred
    expect(conf).to_contain_text("never")
    expect(page.locator("main")).to_contain_text("new@example.com")
    snap(page, "6-security", full_page=True)

    page.get_by_role("link", name="audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    expect(page.locator("table.trail tbody")).to_contain_text("Webhook secret rotated")
    page.locator("select[name=person]").select_option("rita@example.com")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.trail tbody tr")).to_have_count(1)
    expect(page.locator("table.trail tbody")).to_contain_text("Member added")
    snap(page, "7-audit-trail", full_page=True)

    href = page.get_by_role("link", name="Export CSV").get_attribute("href")
    assert href is not None and "person=rita%40example.com" in href
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    exported = list(csv.DictReader(io.StringIO(response.text())))
    assert [(r["kind"], r["person"]) for r in exported] == [("member_added", rita.email)]
    assert violations == []
