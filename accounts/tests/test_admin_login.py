"""The admin has no login form of its own: staff sign in through allauth (its rate limits)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY

from accounts.models import User

pytestmark = pytest.mark.django_db
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "Root-pass-123"


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root@example.com", PASSWORD)


def admin_login_post(client, password):
    return client.post(
        f"{ADMIN_LOGIN}?next=/admin/",
        {"username": "root@example.com", "password": password, "next": "/admin/"},
    )


def test_posting_correct_superuser_credentials_to_the_admin_login_creates_no_session(client, root):
    response = admin_login_post(client, PASSWORD)

    assert SESSION_KEY not in client.session
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    assert client.get("/admin/").status_code == 302


def test_fifty_wrong_guesses_then_the_right_one_still_give_no_session(client, root):
    for n in range(50):
        admin_login_post(client, f"wrong-{n}")
    admin_login_post(client, PASSWORD)

    assert SESSION_KEY not in client.session


def test_anonymous_visitors_of_the_admin_go_to_the_dashboard_sign_in_with_next(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/admin/"
    assert b'name="username"' not in response.content


def test_a_signed_in_non_staff_user_gets_a_plain_refusal_without_a_form(client, owner):
    client.force_login(owner)
    for response in (
        client.get(ADMIN_LOGIN),
        client.post(ADMIN_LOGIN, {"username": owner.email, "password": "pw-owner-123"}),
        client.get("/admin/", follow=True),
    ):
        assert response.status_code == 403
        html = response.content.decode()
        assert "staff only" in html
        assert 'type="password"' not in html and "<form" not in html.split("</header>")[-1]


def test_staff_sign_in_through_allauth_and_reach_the_admin_index(client, root):
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": root.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get(f"{ADMIN_LOGIN}?next=/admin/")["Location"] == "/admin/"


def test_the_allauth_sign_in_that_staff_use_is_rate_limited(client, root):
    for n in range(10):
        client.post("/accounts/login/", {"login": root.email, "password": f"wrong-{n}"})
    client.post("/accounts/login/", {"login": root.email, "password": PASSWORD})

    assert SESSION_KEY not in client.session


def test_an_offsite_next_is_not_followed(client, root):
    client.post("/accounts/login/", {"login": root.email, "password": PASSWORD})
    response = client.get(f"{ADMIN_LOGIN}?next=https://evil.example/")
    assert response["Location"] == "/admin/"


def test_the_admin_password_change_form_is_never_served_nor_checks_an_old_password(client, root):
    client.force_login(root)
    page = client.get("/admin/password_change/")
    guess = client.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "N3w-pass-456!",
            "new_password2": "N3w-pass-456!",
        },
    )

    assert page.status_code == 302
    assert page["Location"] == "/accounts/password/change/"
    assert b"old_password" not in page.content
    assert guess.status_code == 302
    root.refresh_from_db()
    assert root.check_password(PASSWORD)  # the admin form changed nothing
