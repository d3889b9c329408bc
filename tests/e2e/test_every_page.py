"""Every page, as each persona (owner, FULL member, READONLY member, outsider, and signed
out), at desktop (1280 px) and phone (390 px) widths: axe-core finds no serious or critical
violation, no page scrolls sideways on the phone, the phone's navigation folds behind *Menu*
with every entry kept, and the account menu works with the keyboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apikeys.services import apikey_issue
from audit.services import Actor
from teams.invitations import invitation_token
from teams.models import Invitation, Role
from tests.e2e.conftest import PHONE, VIEWPORT
from tests.e2e.test_journeys import sign_in_with_password
from webhooks.configure import webhook_settings_update

pytestmark = pytest.mark.e2e

WIDTHS = [pytest.param(VIEWPORT, id="desktop"), pytest.param(PHONE, id="phone")]
NAV = ["Home", "API key", "Projects", "Team", "Security", "API docs"]


@pytest.fixture
def account(owner, showroom, configurator, full_member, readonly_member, outsider):
    """Olivia's account with something on every page: keys, a webhook, an invitation."""
    apikey_issue(user=owner, actor=owner, lifetime_days=90)
    apikey_issue(user=full_member, actor=full_member)
    webhook_settings_update(
        project=showroom,
        url="https://hooks.example.com/keyservice",
        events=["build.uploaded"],
        actor=Actor.of(owner),
    )
    invitation = Invitation.objects.create(
        owner=owner,
        email="newcomer@example.com",
        role=Role.READONLY,
        base_url="http://testserver/",
        expires_at=timezone.now() + timedelta(days=7),
    )
    invitation.projects.set([showroom])
    return {"invitation": invitation, "showroom": showroom}


def _visit(page: Page, path: str, checked) -> None:
    response = page.goto(path)
    assert response is not None and response.status < 500, (path, response and response.status)
    checked(page)


def _signed_in_pages(showroom, member_id: str | None) -> list[str]:
    pages = ["/", "/keys/", "/keys/request/", "/keys/revoke/", "/projects/"]
    pages += [f"/projects/{showroom.public_id}/", "/team/", "/security/", "/security/audit/"]
    if member_id:
        pages += [f"/team/members/{member_id}/edit/", f"/team/members/{member_id}/remove/"]
    return pages + ["/no-such-page/"]


@pytest.mark.parametrize("viewport", WIDTHS)
@pytest.mark.parametrize(
    ("persona", "password"),
    [
        ("owner@example.com", "pw-owner-123"),
        ("full@example.com", "pw-member-123"),
        ("readonly@example.com", "pw-member-123"),
        ("outsider@example.com", "pw-outsider-123"),
    ],
)
def test_every_signed_in_page_passes_axe_and_fits_the_width(
    new_page, account, showroom, full_member, checked, viewport, persona, password
):
    page = new_page()
    page.set_viewport_size(viewport)
    sign_in_with_password(page, persona, password)
    checked(page)
    member_id = full_member.public_id if persona == "owner@example.com" else None
    for path in _signed_in_pages(showroom, member_id):
        _visit(page, path, checked)


def test_the_owner_reads_the_key_page(new_page, account, owner, checked, snap):
    page = new_page()
    sign_in_with_password(page, "owner@example.com", "pw-owner-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API key")
    facts = page.locator("#key-facts")
    expect(facts).to_contain_text("Created")
    expect(facts).to_contain_text("UTC")
    expect(page.locator("main")).to_contain_text("replaces this one")
    expect(page.get_by_role("link", name="Revoke my key")).to_be_visible()
    checked(page)
    snap(page, "9-key-page", full_page=True)
    page.goto(f"/projects/{account['showroom'].public_id}/")
    checked(page)
    snap(page, "10-project", full_page=True)


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_signed_out_pages_pass_axe_and_fit_the_width(
    new_page, account, checked, viewport, settings
):
    page = new_page()
    page.set_viewport_size(viewport)
    token = invitation_token(invitation=account["invitation"])
    for path in [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        f"/invitations/{token}/",
        "/invitations/not-a-token/",
        "/no-such-page/",
    ]:
        _visit(page, path, checked)


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_api_docs_list_the_public_api_first_and_pass_axe(new_page, owner, checked, viewport):
    page = new_page()
    page.set_viewport_size(viewport)
    sign_in_with_password(page, "owner@example.com", "pw-owner-123")
    if viewport == PHONE:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API docs").click()
    tags = page.locator(".opblock-tag")
    expect(tags.first).to_be_visible()
    names = [t.strip().split()[0] for t in tags.all_inner_texts()]
    assert names.index("public") < names.index("internal"), names
    checked(page)


def test_on_a_phone_the_navigation_folds_behind_menu_with_every_entry(
    new_page, owner, checked, snap
):
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in_with_password(page, "owner@example.com", "pw-owner-123")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for label in NAV:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    checked(page)
    snap(page, "11-phone-menu", phone=False)
    nav.get_by_role("link", name="API key", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API key")
    checked(page)


def test_the_account_menu_works_with_the_keyboard(new_page, owner, checked):
    page = new_page()
    sign_in_with_password(page, "owner@example.com", "pw-owner-123")
    summary = page.get_by_label("Account menu")
    summary.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Copy User ID")).to_be_focused()
    checked(page)
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Request API Key")).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("menuitem", name="Sign out")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Copy User ID")).to_be_focused()
    page.keyboard.press("Escape")
    expect(summary).to_be_focused()
    expect(page.locator("details.account-menu")).not_to_have_attribute("open", "")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_admin_pages_pass_axe_and_fit_the_width(new_page, account, owner, checked, viewport):
    owner.is_staff = owner.is_superuser = True
    owner.save(update_fields=["is_staff", "is_superuser"])
    page = new_page()
    page.set_viewport_size(viewport)
    sign_in_with_password(page, "owner@example.com", "pw-owner-123")
    for path in [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/apikeys/apikey/",
        "/admin/teams/membership/",
        "/admin/projects/project/",
        "/admin/audit/auditevent/",
    ]:
        _visit(page, path, checked)
    expect(page.locator("#site-name")).to_have_text("keyservice administration")
