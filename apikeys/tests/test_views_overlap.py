"""The overlap on renewal in the dashboard: the request form offers it only when the operator
allows it and there is a working key to keep; the new key's page and the key page say until
when the previous key works, with its last use; "Stop the previous key now" ends it."""

import re

import pytest

from apikeys.models import ApiKey, KeyEvent
from apikeys.services import apikey_issue

pytestmark = pytest.mark.django_db
OFFERED = re.compile(r'<input type="radio" name="overlap" value="(\d+)"( checked)?>')


def offered(html: str) -> list[tuple[str, bool]]:
    return [(value, bool(checked)) for value, checked in OFFERED.findall(html)]


def post_request(client, **fields):
    page = client.get("/keys/request/")
    return client.post("/keys/request/", {"nonce": page.context["nonce"], **fields}, follow=True)


def test_by_default_the_form_offers_no_overlap_and_says_the_key_stops_now(client, owner):
    apikey_issue(user=owner)
    client.force_login(owner)
    html = client.get("/keys/request/").content.decode()
    assert offered(html) == [] and 'id="overlap"' not in html
    assert "Your current key stops working immediately" in html


def test_with_an_overlap_allowed_the_form_offers_none_first_then_each_choice(
    settings, client, owner
):
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 86400
    apikey_issue(user=owner)
    client.force_login(owner)
    html = client.get("/keys/request/").content.decode()
    assert offered(html) == [("0", True), ("300", False), ("3600", False), ("86400", False)]
    assert "Keep the current key working for" in html


def test_a_first_key_is_offered_no_overlap(settings, client, owner):
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 86400
    client.force_login(owner)
    assert offered(client.get("/keys/request/").content.decode()) == []


def test_renewing_with_one_hour_shows_until_when_the_previous_key_works(settings, client, owner):
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 86400
    old = apikey_issue(user=owner).api_key
    client.force_login(owner)
    html = post_request(client, overlap="3600").content.decode()
    old.refresh_from_db()
    assert old.revoked_at is not None and old.overlap_until is not None
    until = old.overlap_until.strftime("%Y-%m-%d %H:%M")
    assert 'id="previous-key-notice"' in html and f"{until} UTC" in html and old.hint in html
    page = client.get("/keys/").content.decode()
    assert 'id="overlap-notice"' in page and f"{until}:" in page
    assert re.search(r"\(in (59\xa0minutes|1\xa0hour)\)", page)
    assert "Not since it was replaced" in page
    assert "Stop the previous key now" in page


def test_a_forged_overlap_is_refused_with_a_clear_message_and_no_key(settings, client, owner):
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 3600
    apikey_issue(user=owner)
    client.force_login(owner)
    html = post_request(client, overlap="86400").content.decode()
    assert "No key was issued. Keeping the previous key working that long is not offered" in html
    assert ApiKey.objects.filter(user=owner).count() == 1


def test_stop_the_previous_key_now_ends_the_overlap_from_the_key_page(settings, client, owner):
    settings.KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = 86400
    apikey_issue(user=owner)
    client.force_login(owner)
    post_request(client, overlap="3600")
    page = client.post("/keys/overlap/end/", follow=True).content.decode()
    assert "Your previous key stopped working now." in page
    assert 'id="overlap-notice"' not in page
    assert KeyEvent.objects.filter(kind=KeyEvent.Kind.OVERLAP_ENDED, actor=owner).count() == 1
    again = client.post("/keys/overlap/end/", follow=True).content.decode()
    assert "Your previous key had already stopped working." in again


def test_stopping_needs_a_post(client, owner):
    client.force_login(owner)
    assert client.get("/keys/overlap/end/").status_code == 405
