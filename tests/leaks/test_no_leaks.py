"""A plaintext key exists only on its response page and in its email: never in logs, the
database, admin pages or any other page."""

import logging
import re

import pytest
from django.core import mail
from django.db import connection

from apikeys.models import ApiKey
from apikeys.services import apikey_issue

KEY_IN_PAGE = re.compile(r'<code id="api-key">(spx_[0-9A-Za-z]+)</code>')


@pytest.fixture
def journey(client, owner, caplog, django_capture_on_commit_callbacks):
    """Sign in, request two keys through the dashboard (emails sent in-process), and return
    every issued plaintext."""
    caplog.set_level(logging.DEBUG)
    client.post("/accounts/login/", {"login": owner.email, "password": "pw-owner-123"})
    keys = []
    for _ in range(2):
        page = client.get("/keys/request/")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/keys/request/", {"nonce": page.context["nonce"]})
        keys.extend(KEY_IN_PAGE.findall(response.content.decode()))
    assert len(keys) == 2
    return keys


@pytest.mark.django_db
def test_no_plaintext_key_appears_in_captured_logs(journey, caplog):
    records = caplog.get_records("setup")  # the journey ran in the fixture
    text = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in records)
    assert "issued for user" in text  # the journey did log
    for key in journey:
        assert key not in text
        assert key[4:] not in text


@pytest.mark.django_db
def test_no_plaintext_key_appears_anywhere_in_the_database(journey):
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        dump = []
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump.extend(repr(row) for row in cursor.fetchall())
    text = "\n".join(dump)
    assert "api_key" in " ".join(tables) or "apikeys_apikey" in tables
    for key in journey:
        assert key not in text
        assert key[4:-6] not in text


@pytest.mark.django_db
def test_each_key_is_only_in_its_own_email(journey):
    assert len(mail.outbox) == 2
    for key, email in zip(journey, mail.outbox, strict=True):
        assert key in email.body
        assert all(key not in other.body for other in mail.outbox if other is not email)


@pytest.mark.django_db
def test_notification_only_mail_names_the_hint_but_never_the_key(
    owner, settings, django_capture_on_commit_callbacks
):
    settings.KEYSERVICE_EMAIL_INCLUDES_KEY = False
    with django_capture_on_commit_callbacks(execute=True):
        issued = apikey_issue(user=owner)
    [email] = mail.outbox
    assert issued.plaintext not in email.body
    assert issued.api_key.hint in email.body


@pytest.mark.django_db
def test_admin_key_pages_show_hint_owner_and_status_but_no_secret(admin_client, owner):
    issued = apikey_issue(user=owner)
    row = ApiKey.objects.get()
    pages = [
        admin_client.get("/admin/apikeys/apikey/"),
        admin_client.get(f"/admin/apikeys/apikey/{row.pk}/change/"),
        admin_client.get("/admin/apikeys/keyevent/"),
        admin_client.get("/admin/outbox/outboxemail/"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        for secret in (issued.plaintext, row.ciphertext, row.digest, row.ciphertext[:32]):
            assert secret not in html
    assert row.hint in pages[0].content.decode()
    assert owner.email in pages[0].content.decode()


@pytest.mark.django_db
def test_the_admin_revoke_action_revokes_keys_and_records_the_operator(
    admin_client, admin_user, owner
):
    issued = apikey_issue(user=owner)
    response = admin_client.post(
        "/admin/apikeys/apikey/",
        {"action": "revoke", "_selected_action": [issued.api_key.pk]},
        follow=True,
    )
    assert response.status_code == 200
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None
    assert issued.api_key.events.filter(kind="revoked", actor=admin_user).exists()


@pytest.mark.django_db
def test_admin_finds_users_by_user_id_and_projects_by_project_id(admin_client, owner, showroom):
    users = admin_client.get("/admin/accounts/user/", {"q": owner.public_id})
    assert owner.email in users.content.decode()
    projects = admin_client.get("/admin/projects/project/", {"q": showroom.public_id})
    assert "Showroom" in projects.content.decode()
    members = admin_client.get("/admin/teams/membership/", {"q": "nobody@example.com"})
    assert members.status_code == 200
