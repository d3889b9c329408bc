"""The key page (/keys/): the user's key with its hint, dates, last use and 30-day chart, and
Request API Key (which says it replaces the key) and Revoke my key; the navigation on every
signed-in page."""

import pytest

from apikeys.services import apikey_issue

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_key_page(client):
    response = client.get("/keys/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_without_a_key_is_offered_one(client, owner):
    client.force_login(owner)
    html = client.get("/keys/").content.decode()
    assert "You have no API key yet." in html
    assert 'href="/keys/request/">Request API Key</a>' in html
    assert 'href="/keys/revoke/">Revoke my key</a>' not in html.split("<main")[1]


def test_the_key_page_shows_hint_dates_last_use_chart_and_both_actions(client, owner):
    issued = apikey_issue(user=owner, actor=owner, lifetime_days=90)
    client.force_login(owner)
    html = client.get("/keys/").content.decode()
    assert issued.plaintext not in html
    assert f"<code>{issued.api_key.hint}</code>" in html
    assert issued.api_key.created_at.strftime("%Y-%m-%d %H:%M") + " UTC" in html
    assert issued.api_key.expires_at.strftime("%Y-%m-%d %H:%M") + " UTC" in html
    assert 'id="key-last-used">Never' in html
    assert "Last 30 days" in html
    main = html.split("<main")[1]
    assert "replaces this one" in main
    assert 'href="/keys/revoke/">Revoke my key</a>' in main


def test_every_signed_in_page_has_the_navigation_and_marks_where_you_are(client, owner):
    client.force_login(owner)
    for path, current in [
        ("/", "Home"),
        ("/keys/", "API key"),
        ("/projects/", "Projects"),
        ("/team/", "Team"),
        ("/security/", "Security"),
    ]:
        html = client.get(path).content.decode()
        assert '<nav id="site-nav" class="site-nav" aria-label="Main">' in html, path
        for label in ["Home", "API key", "Projects", "Team", "Security", "API docs"]:
            assert f">{label}</a>" in html, (path, label)
        assert f'aria-current="page">{current}</a>' in html, path
        assert ">Admin</a>" not in html, path


def test_staff_see_admin_in_the_navigation(client, owner):
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    client.force_login(owner)
    assert ">Admin</a>" in client.get("/").content.decode()
