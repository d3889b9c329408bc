"""Every dashboard page that shows a secret is served `Cache-Control: no-store`: the project
page (webhook signing secret, also when a form is re-rendered with errors), the key issued
once, and the service token shown once in the admin."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

KEY_IN_PAGE = re.compile(r'<code id="api-key">(spx_[0-9A-Za-z]+)</code>')


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_the_project_page_showing_the_signing_secret_is_no_store(client, owner, showroom):
    client.force_login(owner)
    response = client.get(f"/projects/{showroom.public_id}/")
    assert response.status_code == 200
    assert showroom.webhook.secret and showroom.webhook.secret in response.content.decode()
    assert no_store(response)
    assert "private" in response["Cache-Control"]


def test_the_project_page_re_rendered_with_form_errors_is_no_store(client, owner, showroom):
    client.force_login(owner)
    response = client.post(f"/projects/{showroom.public_id}/rename/", {"name": ""})
    assert response.status_code == 400
    assert no_store(response)


def test_a_readonly_members_project_page_is_no_store_too(client, readonly_member, showroom):
    client.force_login(readonly_member)
    response = client.get(f"/projects/{showroom.public_id}/")
    assert response.status_code == 200
    assert no_store(response)


def test_the_page_showing_a_new_api_key_is_no_store(client, owner):
    client.force_login(owner)
    page = client.get("/keys/request/")
    response = client.post("/keys/request/", {"nonce": page.context["nonce"]})
    assert KEY_IN_PAGE.search(response.content.decode())
    assert no_store(response)


def test_the_admin_page_showing_a_new_service_token_is_no_store(admin_client):
    response = admin_client.post("/admin/apikeys/servicetoken/add/", {"name": "search"})
    assert 'id="service-token">kst_' in response.content.decode()
    assert no_store(response)
