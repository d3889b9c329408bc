"""Request API Key (apikeys/views.py): shown once, emailed, one-time nonce, the old key stops."""

import re

import pytest
from django.core import mail

from apikeys import crypto
from apikeys.models import ApiKey
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import apikey_verify

pytestmark = pytest.mark.django_db
KEY_IN_PAGE = re.compile(r'<code id="api-key">(spx_[0-9A-Za-z]+)</code>')


def sign_in(client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def request_key(client):
    page = client.get("/keys/request/")
    return client.post("/keys/request/", {"nonce": page.context["nonce"]})


def test_requesting_a_key_shows_it_once_with_no_store_and_emails_the_same_key(
    client, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    page = client.get("/keys/request/")
    assert "stops working immediately" in page.content.decode() or "no API key yet" in (
        page.content.decode()
    )
    assert '<button type="submit" class="primary">Request API Key</button>' in (
        page.content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/keys/request/", {"nonce": page.context["nonce"]})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [key] = KEY_IN_PAGE.findall(response.content.decode())
    assert crypto.is_well_formed(key)
    assert apikey_verify(key=key, user_public_id=owner.public_id).ok
    [email] = mail.outbox
    assert email.to == [owner.email]
    assert key in email.body


def test_reloading_the_key_page_neither_shows_the_key_nor_issues_another(client, owner):
    client.force_login(owner)
    page = client.get("/keys/request/")
    first = client.post("/keys/request/", {"nonce": page.context["nonce"]})
    [key] = KEY_IN_PAGE.findall(first.content.decode())

    replay = client.post("/keys/request/", {"nonce": page.context["nonce"]}, follow=True)
    html = replay.content.decode()
    assert key not in html
    assert "already handled" in html
    assert ApiKey.objects.filter(user=owner).count() == 1
    assert apikey_verify(key=key, user_public_id=owner.public_id).ok

    for path in ("/", "/keys/request/"):
        html = client.get(path).content.decode()
        assert key not in html
        assert key[-4:] in html  # the hint is shown instead


def test_a_post_without_the_one_time_nonce_issues_nothing(client, owner):
    client.force_login(owner)
    response = client.post("/keys/request/", {})
    assert response.status_code == 302
    assert not ApiKey.objects.exists()


def test_the_request_page_warns_that_the_current_key_stops_working(client, owner):
    apikey_issue(user=owner)
    client.force_login(owner)
    html = client.get("/keys/request/").content.decode()
    assert "Your current key stops working immediately" in html


def test_a_new_key_from_the_dashboard_rejects_the_old_one(client, owner):
    old = apikey_issue(user=owner)
    client.force_login(owner)
    request_key(client)
    assert not apikey_verify(key=old.plaintext, user_public_id=owner.public_id).ok


def test_the_key_page_requires_sign_in(client):
    assert client.get("/keys/request/").status_code == 302
    assert client.post("/keys/request/", {"nonce": "x"}).status_code == 302
    assert not ApiKey.objects.exists()
