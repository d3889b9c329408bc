"""Google sign-in is configured from the environment (the full OAuth round trip against a
fake Google server belongs to the browser tests of the dashboard issue)."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOGLE_APP = {"APPS": [{"client_id": "test-client-id.apps", "secret": "test-secret", "key": ""}]}


def test_google_client_id_and_secret_come_from_the_environment():
    env = {**os.environ, "GOOGLE_CLIENT_ID": "from-env-id", "GOOGLE_CLIENT_SECRET": "from-env-s"}
    env["DJANGO_SETTINGS_MODULE"] = "keyservice.settings_test"
    code = (
        "from django.conf import settings; "
        "app = settings.SOCIALACCOUNT_PROVIDERS['google']['APPS'][0]; "
        "print(app['client_id'], app['secret'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["from-env-id", "from-env-s"]


@pytest.mark.django_db
def test_the_sign_in_page_offers_google_when_it_is_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {**settings.SOCIALACCOUNT_PROVIDERS["google"], **GOOGLE_APP}
    }
    html = client.get("/accounts/login/").content.decode()
    assert "/accounts/google/login/" in html


@pytest.mark.django_db
def test_starting_google_sign_in_redirects_to_google_with_our_client_id(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {**settings.SOCIALACCOUNT_PROVIDERS["google"], **GOOGLE_APP}
    }
    response = client.post("/accounts/google/login/")
    assert response.status_code == 302
    target = urlparse(response["Location"])
    query = parse_qs(target.query)
    assert target.netloc == "accounts.google.com"
    assert query["client_id"] == ["test-client-id.apps"]
    assert "email" in query["scope"][0]
    assert query["code_challenge_method"] == ["S256"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/google/login/"),
        ("post", "/accounts/google/login/"),
        ("get", "/accounts/google/login/callback/?code=abc&state=xyz"),
        ("post", "/accounts/google/login/token/"),
    ],
)
def test_google_sign_in_with_no_google_client_is_a_page_saying_so_not_an_error(
    client, method, path
):
    response = getattr(client, method)(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Google sign-in is not set up here" in html
    assert 'href="/accounts/login/"' in html
    assert "Traceback" not in html and "DoesNotExist" not in html


@pytest.mark.django_db
def test_a_google_client_added_by_an_operator_in_the_admin_enables_google_sign_in(client):
    from allauth.socialaccount.models import SocialApp

    SocialApp.objects.create(provider="google", name="Google", client_id="c", secret="s")
    response = client.post("/accounts/google/login/")
    assert response.status_code == 302
    assert urlparse(response["Location"]).netloc == "accounts.google.com"
