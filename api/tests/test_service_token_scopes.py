"""Service tokens carry scopes chosen at creation (least privilege: `verify` alone by default);
each internal endpoint requires its scope, and revoking a token needs its own permission."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys.models import ApiKey, ServiceToken
from apikeys.service_tokens import service_token_create, service_token_set_scopes
from apikeys.services import apikey_issue
from tests.support.accounts import verified_user

pytestmark = pytest.mark.django_db

VERIFY, REVOKE = "/internal/v1/verify", "/internal/v1/keys/revoke-leaked"


def call(client, path: str, token: str, body: dict):
    return client.post(
        path,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def verify_body(owner, showroom) -> dict:
    key = apikey_issue(user=owner).plaintext
    return {"apiKey": key, "userId": owner.public_id, "projectId": showroom.public_id}


def test_a_token_created_without_scopes_may_verify_but_not_revoke_keys(client, owner, showroom):
    token = service_token_create(name="stats").plaintext
    issued = apikey_issue(user=owner)
    body = {"apiKey": issued.plaintext, "userId": owner.public_id, "projectId": showroom.public_id}

    assert call(client, VERIFY, token, body).status_code == 200
    response = call(client, REVOKE, token, {"keys": [issued.plaintext]})

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}
    assert ApiKey.objects.get(pk=issued.api_key.pk).is_active


def test_a_revoke_only_token_cannot_verify_in_one_query(client, verify_body):
    token = service_token_create(name="scanner", scopes=["revoke-leaked"]).plaintext
    with CaptureQueriesContext(connection) as queries:
        response = call(client, VERIFY, token, verify_body)
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}
    assert len(queries) == 1


def test_the_scope_is_checked_before_the_key_so_a_scopeless_token_learns_nothing(client, owner):
    token = service_token_create(name="scanner", scopes=["revoke-leaked"]).plaintext
    body = {"apiKey": "spx_bad", "userId": owner.public_id, "projectId": "0" * 24}
    assert call(client, VERIFY, token, body).status_code == 403


def test_a_token_with_both_scopes_may_call_both_endpoints(client, owner, verify_body):
    token = service_token_create(name="all", scopes=["verify", "revoke-leaked"]).plaintext
    assert call(client, VERIFY, token, verify_body).status_code == 200
    response = call(client, REVOKE, token, {"keys": [verify_body["apiKey"]]})
    assert (response.status_code, response.json()["count"]) == (200, 1)


def test_granting_a_scope_takes_effect_on_the_next_call(client, verify_body):
    issued = service_token_create(name="scanner")
    assert call(client, REVOKE, issued.plaintext, {"keys": ["x"]}).status_code == 403
    service_token_set_scopes(service_token=issued.service_token, scopes=["revoke-leaked"])
    assert call(client, REVOKE, issued.plaintext, {"keys": ["x"]}).status_code == 200
    assert call(client, VERIFY, issued.plaintext, verify_body).status_code == 403


def test_unknown_scopes_are_refused_at_creation():
    with pytest.raises(ValueError, match="unknown scope"):
        service_token_create(name="x", scopes=["verify", "admin"])
    assert not ServiceToken.objects.exists()


def test_the_command_grants_the_scopes_asked_for_and_verify_alone_by_default():
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_service_token", "scanner", "--scope", "revoke-leaked", stdout=out, stderr=err
    )
    call_command("create_service_token", "pipeline", stdout=io.StringIO(), stderr=io.StringIO())
    assert ServiceToken.objects.get(name="scanner").scopes == "revoke-leaked"
    assert ServiceToken.objects.get(name="pipeline").scopes == "verify"
    assert "revoke-leaked" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("create_service_token", "other", "--scope", "everything", stderr=err)


def test_the_admin_add_form_offers_scopes_with_verify_preselected(admin_client):
    page = admin_client.get("/admin/apikeys/servicetoken/add/").content.decode()
    assert 'value="verify"' in page and 'value="revoke-leaked"' in page
    admin_client.post("/admin/apikeys/servicetoken/add/", {"name": "default"})
    admin_client.post(
        "/admin/apikeys/servicetoken/add/", {"name": "scanner", "scope_choices": ["revoke-leaked"]}
    )
    assert ServiceToken.objects.get(name="default").scopes == "verify"
    assert ServiceToken.objects.get(name="scanner").scopes == "revoke-leaked"


def test_the_admin_change_form_changes_only_the_scopes(admin_client):
    row = service_token_create(name="scanner").service_token
    admin_client.post(
        f"/admin/apikeys/servicetoken/{row.pk}/change/",
        {"name": "renamed", "scope_choices": ["verify", "revoke-leaked"]},
    )
    row.refresh_from_db()
    assert (row.name, row.scopes) == ("scanner", "revoke-leaked verify")


def staff(*codenames: str):
    user = verified_user("staff@example.com", "pw-staff-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def revoke_through_admin(client, row: ServiceToken):
    return client.post(
        "/admin/apikeys/servicetoken/",
        {"action": "revoke", "_selected_action": [row.pk]},
        follow=True,
    )


def test_a_view_only_staff_user_cannot_revoke_a_service_token(client):
    row = service_token_create(name="pipeline").service_token
    client.force_login(staff("view_servicetoken"))
    page = client.get("/admin/apikeys/servicetoken/")
    assert page.status_code == 200
    assert 'value="revoke"' not in page.content.decode()
    revoke_through_admin(client, row)
    row.refresh_from_db()
    assert row.revoked_at is None


def test_a_staff_user_with_the_revoke_permission_can_revoke(client):
    row = service_token_create(name="pipeline").service_token
    client.force_login(staff("view_servicetoken", "revoke_servicetoken"))
    revoke_through_admin(client, row)
    row.refresh_from_db()
    assert row.revoked_at is not None
