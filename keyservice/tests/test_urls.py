"""The site-wide routes of keyservice/urls.py that belong to no app."""

from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.mark.django_db
def test_a_browser_asking_for_favicon_ico_is_sent_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.ico"
    assert (STATIC / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_every_page_links_the_icon(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert 'rel="icon" href="/static/favicon.ico"' in html
