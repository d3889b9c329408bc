"""Every change of what a service token may do is recorded with its actor, in the change's
transaction (KeyEvent rows about the token, no account's): its creation, a change of its
scopes, its revocation. Through the services, `manage.py create_service_token` and the admin.
Never the token itself."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.test import Client

from apikeys.models import KeyEvent, ServiceToken
from apikeys.service_tokens import (
    service_token_create,
    service_token_revoke,
    service_token_set_scopes,
)
from tests.support.accounts import verified_user

pytestmark = pytest.mark.django_db
Kind = KeyEvent.Kind
ADMIN = "/admin/apikeys/servicetoken/"


@pytest.fixture
def root():
    return verified_user("root@example.com", "Root-pass-123", is_staff=True, is_superuser=True)


def token_events(token: ServiceToken) -> list[tuple[str, object, str]]:
    rows = KeyEvent.objects.filter(service_token=token).order_by("id")
    return [(e.kind, e.actor, e.detail) for e in rows]


def test_creating_changing_and_revoking_a_token_are_recorded_with_their_actor(root):
    issued = service_token_create(name="scanner", actor=root, via="a test")
    token = issued.service_token
    service_token_set_scopes(service_token=token, scopes=["verify"], actor=root)  # unchanged
    service_token_set_scopes(service_token=token, scopes=["verify", "revoke-leaked"], actor=root)
    assert service_token_revoke(service_token=token, actor=root)
    assert not service_token_revoke(service_token=token, actor=root)  # already: nothing

    label = f"scanner ({token.hint})"
    assert token_events(token) == [
        (Kind.TOKEN_CREATED, root, f"{label}: scopes verify (a test)"),
        (Kind.TOKEN_SCOPES_CHANGED, root, f"{label}: scopes verify -> revoke-leaked verify"),
        (Kind.TOKEN_REVOKED, root, f"{label}: revoked"),
    ]
    assert not any(issued.plaintext in e.detail for e in KeyEvent.objects.all())
    assert KeyEvent.objects.filter(service_token=token, user__isnull=False).count() == 0


def test_a_creation_that_fails_records_nothing(root):
    service_token_create(name="scanner", actor=root)
    with pytest.raises(IntegrityError):  # the name is taken
        service_token_create(name="scanner", actor=root)

    assert KeyEvent.objects.filter(kind=Kind.TOKEN_CREATED).count() == 1


def test_the_command_records_the_creation_as_the_systems():
    out, err = StringIO(), StringIO()
    call_command("create_service_token", "pipeline", "--scope", "pipeline", stdout=out, stderr=err)

    token = ServiceToken.objects.get(name="pipeline")
    [(kind, actor, detail)] = token_events(token)
    assert (kind, actor) == (Kind.TOKEN_CREATED, None)
    assert detail == f"pipeline ({token.hint}): scopes pipeline (manage.py create_service_token)"
    assert out.getvalue().strip() not in detail


def operator(root) -> Client:
    client = Client()
    client.force_login(root)
    return client


def test_the_admin_records_the_operator_who_created_changed_and_revoked_a_token(root):
    client = operator(root)
    added = client.post(f"{ADMIN}add/", {"name": "gateway", "scope_choices": ["verify"]})
    assert added.status_code == 200  # the page that shows the token once
    token = ServiceToken.objects.get(name="gateway")
    changed = client.post(f"{ADMIN}{token.pk}/change/", {"scope_choices": ["verify", "pipeline"]})
    assert changed.status_code == 302
    revoked = client.post(ADMIN, {"action": "revoke", "_selected_action": [token.pk]})
    assert revoked.status_code == 302

    label = f"gateway ({token.hint})"
    assert token_events(token) == [
        (Kind.TOKEN_CREATED, root, f"{label}: scopes verify (admin)"),
        (Kind.TOKEN_SCOPES_CHANGED, root, f"{label}: scopes verify -> pipeline verify (admin)"),
        (Kind.TOKEN_REVOKED, root, f"{label}: revoked (admin)"),
    ]


def test_token_events_never_reach_an_owners_trail(client, owner, root):
    service_token_create(name="gateway", actor=root)
    client.force_login(owner)

    trail = client.get("/security/audit/").content.decode()

    assert "gateway" not in trail and "token_created" not in trail
