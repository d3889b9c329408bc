"""Browser journeys through the dashboard: headless Chromium, a live server on PostgreSQL,
Google sign-in against the fake Google server, the public API called like a customer would.

Mail: tasks run in-process (eager) in these tests, so the live server's emails land in
django.core.mail.outbox.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from accounts.models import User
from apikeys import crypto
from teams.models import Invitation, Membership, Role

pytestmark = pytest.mark.e2e
INVITATION_LINK = re.compile(r"https?://\S+?(/invitations/[^/\s]+/)")
UNAUTHORIZED = {"message": "Unauthorized: Invalid API Key"}
FORBIDDEN = {"message": "Forbidden"}


# --- Steps ---------------------------------------------------------------------------------


def open_account_menu(page: Page) -> None:
    menu = page.locator("details.account-menu")
    if menu.get_attribute("open") is None:
        page.get_by_label("Account menu").click()


def sign_in_with_google_from_the_sign_in_page(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Google").click()
    # allauth asks before leaving for Google (no sign-in on a GET).
    page.get_by_role("button", name="Continue").click()


def sign_in_with_password(page: Page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def request_api_key(page: Page) -> str:
    open_account_menu(page)
    page.get_by_role("menuitem", name="Request API Key").click()
    expect(page.get_by_role("heading", name="Request API Key")).to_be_visible()
    page.get_by_role("button", name="Request API Key").click()
    expect(page.get_by_role("heading", name="Your new API key")).to_be_visible()
    key = page.locator("#api-key").inner_text().strip()
    assert crypto.is_well_formed(key), key
    return key


def api_get(page: Page, path: str, *, user: User, key: str, **params):
    return page.request.get(path, params={"userId": user.public_id, "apikey": key, **params})


def api_upload(page: Page, *, user: User, key: str, project_id: str):
    return page.request.post(
        "/pixelStripeApi/projects/upload-file",
        data={
            "apiKey": key,
            "userId": user.public_id,
            "projectId": project_id,
            "fileUrl": "https://builds.example.com/build.zip",
        },
    )


def choose_role(page: Page, role: str) -> None:
    select = page.locator("select[name=role]")
    if select.count():
        select.select_option(role)
    else:  # the form renders the role as radio buttons
        page.locator(f"input[name=role][value={role}]").check()


def invitation_path_in_mail(to: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [to]]
    [path] = INVITATION_LINK.findall(str(message.body))  # str: the stubs allow a lazy string
    return path


def project_rows(page: Page) -> list[str]:
    return page.locator("main table tbody tr td:first-child").all_inner_texts()


# --- Journeys ------------------------------------------------------------------------------


def test_a_new_user_signs_in_with_google_and_copies_the_user_id(page, google, snap):
    google.login_as("ada@example.com", "Ada Lovelace")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    snap(page, "1-sign-in")

    sign_in_with_google_from_the_sign_in_page(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ada Lovelace")
    user = User.objects.get(email="ada@example.com")
    expect(page.locator("#user-id")).to_have_text(user.public_id)
    open_account_menu(page)
    page.get_by_role("menuitem", name="Copy User ID").click()
    expect(page.locator("#toast")).to_have_text("User ID copied")
    assert page.evaluate("navigator.clipboard.readText()") == user.public_id
    snap(page, "2-home")

    page.evaluate("navigator.clipboard.writeText('')")
    page.locator("main").get_by_role("button", name="Copy User ID").click()
    assert page.evaluate("navigator.clipboard.readText()") == user.public_id


def test_a_key_is_shown_once_emailed_and_replaces_the_previous_one(page, google, snap):
    google.login_as("ada@example.com", "Ada Lovelace")
    sign_in_with_google_from_the_sign_in_page(page)
    user = User.objects.get(email="ada@example.com")

    first = request_api_key(page)
    snap(page, "3-api-key")
    page.get_by_role("button", name="Copy key").click()
    assert page.evaluate("navigator.clipboard.readText()") == first
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert first in message.body
    response = api_get(page, "/pixelStripeApi/projects", user=user, key=first)
    assert response.status == 200, response.text()

    # Back to the key page (served no-store): not from any cache, and the key is not shown.
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.locator("main")).to_contain_text(first[-4:])  # the home page shows the hint
    try:
        page.go_back()
    except PlaywrightError as exc:  # no-store: Chromium asks to resubmit instead (no cache)
        assert "ERR_CACHE_MISS" in str(exc)
        page.wait_for_url("chrome-error://**")
    page.wait_for_load_state()
    assert first not in page.content()
    page.goto("/")

    second = request_api_key(page)
    assert second != first
    assert len(mail.outbox) == 2 and second in mail.outbox[1].body
    # Reloading the key page re-posts the spent form: no key shown, none issued.
    page.reload()
    expect(page.locator(".messages")).to_contain_text("already handled")
    assert second not in page.content()
    assert len(mail.outbox) == 2

    response = api_get(page, "/pixelStripeApi/projects", user=user, key=first)
    assert (response.status, response.json()) == (401, UNAUTHORIZED)
    assert api_get(page, "/pixelStripeApi/projects", user=user, key=second).status == 200


def test_a_readonly_member_is_invited_reads_cannot_write_and_is_removed(
    new_page, google, owner, showroom, configurator, snap
):
    owner_page = new_page()
    sign_in_with_password(owner_page, "owner@example.com", "pw-owner-123")
    owner_page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    expect(owner_page).to_have_url(re.compile(r"/team/$"))
    owner_page.locator("input[name=email]").fill("rita@example.com")
    choose_role(owner_page, "READONLY")
    owner_page.locator(f"input[name=projects][value='{showroom.public_id}']").check()
    owner_page.get_by_role("button", name="Send invitation").click()
    expect(owner_page.locator(".messages")).to_contain_text("rita@example.com")
    path = invitation_path_in_mail("rita@example.com")

    google.login_as("rita@example.com", "Rita Reader")
    invitee = new_page()
    invitee.goto(path)
    expect(invitee.get_by_role("heading", level=1)).to_contain_text("Olivia Owner")
    snap(invitee, "5-invitation")
    invitee.get_by_role("button", name="Sign in with Google").click()
    expect(invitee).to_have_url(re.compile(re.escape(path) + "$"))
    invitee.get_by_role("button", name="Accept invitation").click()
    expect(invitee).to_have_url(re.compile(r"/$"))
    expect(invitee.locator(".messages")).to_contain_text("joined")
    assert project_rows(invitee) == ["Showroom"]
    expect(invitee.locator("main table tbody")).to_contain_text("READONLY")
    rita = User.objects.get(email="rita@example.com")
    membership = Membership.objects.get(owner=owner, member=rita)
    assert membership.role == Role.READONLY
    assert list(membership.projects.all()) == [showroom]

    key = request_api_key(invitee)
    detail = f"/pixelStripeApi/projects/{showroom.public_id}"
    assert api_get(invitee, detail, user=rita, key=key).status == 200
    response = api_upload(invitee, user=rita, key=key, project_id=showroom.public_id)
    assert (response.status, response.json()) == (403, FORBIDDEN)
    other = api_get(
        invitee, f"/pixelStripeApi/projects/{configurator.public_id}", user=rita, key=key
    )
    assert (other.status, other.json()) == (403, FORBIDDEN)

    owner_page.goto("/team/")
    expect(owner_page.locator("main table tbody tr")).to_contain_text("rita@example.com")
    snap(owner_page, "4-team", full_page=True)
    row = owner_page.locator("main table tbody tr", has_text="rita@example.com")
    row.get_by_role("link", name="Remove").click()
    owner_page.get_by_role("button", name="Remove member").click()
    expect(owner_page.locator(".messages")).to_contain_text("removed")
    assert not Membership.objects.filter(owner=owner, member=rita).exists()

    response = api_get(invitee, detail, user=rita, key=key)
    assert (response.status, response.json()) == (403, FORBIDDEN)


def test_an_invitation_opened_with_another_google_address_is_refused(
    new_page, google, owner, showroom
):
    owner_page = new_page()
    sign_in_with_password(owner_page, "owner@example.com", "pw-owner-123")
    owner_page.goto("/team/")
    owner_page.locator("input[name=email]").fill("invited@example.com")
    choose_role(owner_page, "FULL")
    owner_page.get_by_role("button", name="Send invitation").click()
    # No project ticked: the form asks first (issue 24).
    owner_page.get_by_role("button", name="Send without projects").click()
    path = invitation_path_in_mail("invited@example.com")

    google.login_as("somebody-else@example.com", "Somebody Else")
    page = new_page()
    page.goto(path)
    page.get_by_role("button", name="Sign in with Google").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This invitation is for another address"
    )
    expect(page.locator("main")).to_contain_text("invited@example.com")
    expect(page.get_by_role("button", name="Accept invitation")).to_have_count(0)
    assert not Membership.objects.exists()
    assert Invitation.objects.get().state == Invitation.State.PENDING
