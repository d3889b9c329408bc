"""Production hardening: deploy checks, CSP without inline code, HTTPS rules, request ids,
body limits, admin sign-in through allauth."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from apikeys.services import apikey_issue

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"\sstyle=|<style", re.IGNORECASE)


def test_check_deploy_reports_no_warnings_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEYSERVICE_"))}
    env.update(
        KEYSERVICE_ENV_FILE="",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="p" * 20 + "roduction-secret-key-0123456789-abcdefghij",
        KEYSERVICE_ENCRYPTION_KEY="ef" * 32,
        KEYSERVICE_DIGEST_SECRET="d" * 48,
        DJANGO_ALLOWED_HOSTS="keys.example.com",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/unused",  # never connected to
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/keys/request/", "/team/", "/projects/", "/accounts/login/", "PROJECT"],
)
def test_pages_send_a_strict_csp_and_contain_no_inline_code(client, owner, showroom, path):
    if path != "/accounts/login/":
        client.force_login(owner)
    if path == "PROJECT":
        path = f"/projects/{showroom.public_id}/"
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html)


@pytest.mark.django_db
def test_the_key_page_has_no_inline_code_either(client, owner):
    client.force_login(owner)
    page = client.get("/keys/request/")
    html = client.post("/keys/request/", {"nonce": page.context["nonce"]}).content.decode()
    assert 'id="api-key"' in html
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)


@pytest.mark.django_db
def test_with_ssl_redirect_the_dashboard_redirects_but_the_api_and_health_check_do_not(
    client, settings, owner
):
    settings.SECURE_SSL_REDIRECT = True
    settings.KEYSERVICE_ALLOW_HTTP = False
    assert client.get("/").status_code == 301
    api = client.get("/pixelStripeApi/projects", {"userId": owner.public_id, "apikey": "x"})
    assert (api.status_code, api.json()) == (403, {"message": "HTTPS required"})
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_keeps_a_sane_incoming_one(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="edge-1234abcd")["X-Request-ID"]
    assert kept == "edge-1234abcd"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/pixelStripeApi/projects/upload-file", "/internal/v1/verify"])
def test_a_huge_body_is_refused_with_413_unread(client, settings, path):
    settings.KEYSERVICE_API_MAX_BODY_BYTES = 1024
    body = json.dumps({"apiKey": "x" * 5000})
    response = client.post(path, body, content_type="application/json", secure=True)
    assert (response.status_code, response.json()) == (413, {"message": "Request body too large"})


@pytest.mark.django_db
def test_admin_sign_in_goes_through_the_dashboard_sign_in(client, owner):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(owner)  # signed in but not staff: admin refuses
    assert client.get("/admin/").status_code == 302
    owner.is_staff = True
    owner.save()
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_the_swagger_ui_needs_no_inline_script(client, owner):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert not INLINE_SCRIPT.search(response.content.decode())
    apikey_issue(user=owner)
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.django_db
def test_json_api_answers_skip_the_csp_header_that_only_documents_need(client, owner):
    response = client.get("/pixelStripeApi/projects", {"userId": owner.public_id}, secure=True)
    assert response.status_code == 400
    assert "Content-Security-Policy" not in response
