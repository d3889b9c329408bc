"""Password sign-in through allauth: a wrong password, and Google-only when passwords are off."""

import pytest

pytestmark = pytest.mark.django_db


def sign_in(client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_a_wrong_password_does_not_sign_in(client, owner):
    response = sign_in(client, "owner@example.com", "wrong-password")
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_without_password_login_only_google_is_offered(client, owner, settings):
    settings.KEYSERVICE_PASSWORD_LOGIN = False
    settings.SOCIALACCOUNT_ONLY = True
    response = sign_in(client, "owner@example.com", "pw-owner-123")
    assert response.status_code == 403
    assert client.get("/").status_code == 302
    signup = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "A-long-pass-123",
            "password2": "A-long-pass-123",
        },
    )
    assert "account/signup_closed.html" in [t.name for t in signup.templates]
    from accounts.models import User

    assert not User.objects.filter(email="new@example.com").exists()
