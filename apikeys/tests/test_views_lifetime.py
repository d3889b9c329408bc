"""Request API Key with a lifetime: the choices offered, the cap, a forged POST, the home page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from apikeys.models import ApiKey
from apikeys.services import apikey_issue

pytestmark = pytest.mark.django_db
OFFERED = re.compile(r'<input type="radio" name="lifetime" value="([a-z0-9]+)"( checked)?>')


def offered(html: str) -> list[tuple[str, bool]]:
    return [(value, bool(checked)) for value, checked in OFFERED.findall(html)]


def post_request(client, **fields):
    page = client.get("/keys/request/")
    return client.post("/keys/request/", {"nonce": page.context["nonce"], **fields}, follow=True)


def test_the_confirmation_page_offers_30_90_365_days_and_never_with_never_chosen(client, owner):
    client.force_login(owner)
    html = client.get("/keys/request/").content.decode()
    assert offered(html) == [("30", False), ("90", False), ("365", False), ("never", True)]


def test_with_a_cap_the_page_offers_no_lifetime_above_it_and_not_never(settings, client, owner):
    settings.KEYSERVICE_KEY_MAX_LIFETIME_DAYS = 90
    client.force_login(owner)
    html = client.get("/keys/request/").content.decode()
    assert offered(html) == [("30", False), ("90", True)]


def test_choosing_90_days_issues_a_key_that_expires_in_90_days(client, owner):
    client.force_login(owner)
    before = timezone.now()
    response = post_request(client, lifetime="90")
    key = ApiKey.objects.get(user=owner)
    assert before + timedelta(days=90) <= key.expires_at <= timezone.now() + timedelta(days=90)
    assert "expires " + key.expires_at.strftime("%Y-%m-%d") in response.content.decode()


@pytest.mark.parametrize("forged", ["365", "never", "91", "-1", "abc", "9" * 40])
def test_a_forged_lifetime_above_the_cap_is_refused_with_a_clear_message(
    settings, client, owner, forged
):
    settings.KEYSERVICE_KEY_MAX_LIFETIME_DAYS = 90
    client.force_login(owner)
    response = post_request(client, lifetime=forged)
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "No key was issued. That key lifetime is not offered: keys here expire within 90 days"
        in html
    )
    assert not ApiKey.objects.exists()


def test_the_home_page_shows_the_keys_created_and_expires_beside_its_hint(client, owner):
    issued = apikey_issue(user=owner, lifetime_days=30)
    client.force_login(owner)
    html = client.get("/").content.decode()
    key = issued.api_key
    assert (
        f"Current key <code>{key.hint}</code>, created {key.created_at:%Y-%m-%d %H:%M} UTC, "
        f"expires {key.expires_at:%Y-%m-%d %H:%M} UTC."
    ) in html


def test_the_home_page_says_a_key_without_a_lifetime_never_expires(client, full_member):
    issued = apikey_issue(user=full_member, lifetime_days=None)
    client.force_login(full_member)
    assert f"<code>{issued.api_key.hint}</code>" in (html := client.get("/").content.decode())
    assert "never expires" in html


def test_after_expiry_the_home_page_says_the_key_expired_and_offers_a_new_one(client, owner):
    issued = apikey_issue(user=owner, lifetime_days=30)
    with freeze_time(issued.api_key.expires_at + timedelta(seconds=1)):
        client.force_login(owner)
        html = client.get("/").content.decode()
    assert f"Your key <code>{issued.api_key.hint}</code> expired on" in html
    assert 'href="/keys/request/">Request API Key</a>' in html
