"""The home page: sign-in required, your userId and the projects you can reach, with the role."""

import pytest

pytestmark = pytest.mark.django_db


def sign_in(client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_owner_signs_in_with_a_password_and_sees_user_id_and_projects(
    client, owner, showroom, configurator
):
    response = sign_in(client, "OWNER@example.com", "pw-owner-123")
    assert response.status_code == 302
    home = client.get("/")
    html = home.content.decode()
    assert owner.public_id in html
    assert "Copy User ID" in html
    assert f'data-copy="{owner.public_id}"' in html
    assert showroom.public_id in html and configurator.public_id in html
    assert "Request API Key" in html
    assert "Sign out" in html


def test_a_readonly_member_sees_only_the_shared_project_with_the_role(
    client, readonly_member, showroom, configurator
):
    sign_in(client, "readonly@example.com", "pw-member-123")
    html = client.get("/").content.decode()
    assert showroom.public_id in html
    assert "READONLY" in html
    assert configurator.public_id not in html
