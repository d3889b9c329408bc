"""Upgrading a database in place: service tokens moved from the `api` app to `apikeys`
(apikeys.0005/0006, api.0003). A token created at the old schema still verifies, and an
operator granted the old `api.revoke_servicetoken` permission still may revoke tokens."""

from __future__ import annotations

import json

import pytest
from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from apikeys.models import ServiceToken
from apikeys.services import apikey_issue
from apikeys.tokens import token_digest, token_generate, token_hint
from apikeys.verifier.credentials import TokenCheck, apikey_verify
from projects.models import Project
from tests.support.accounts import verified_user
from tests.support.migrations import migrate_to, migrate_to_latest

BEFORE = [
    ("api", "0002_servicetoken_scopes"),
    ("apikeys", "0004_apikey_request_digest"),
]


@pytest.mark.django_db(transaction=True)
def test_a_token_of_the_old_schema_still_verifies_and_the_old_permission_still_revokes(
    postgres, client
):
    operator = verified_user("operator@example.com", "pw-operator-123", is_staff=True)
    plaintext = token_generate()
    try:
        old = migrate_to(BEFORE)
        OldToken = old.get_model("api", "ServiceToken")
        old_row = OldToken.objects.create(
            name="build-pipeline",
            digest=token_digest(plaintext),
            hint=token_hint(plaintext),
            scopes="verify",
        )
        OldContentType = old.get_model("contenttypes", "ContentType")
        OldPermission = old.get_model("auth", "Permission")
        content_type, _ = OldContentType.objects.get_or_create(
            app_label="api", model="servicetoken"
        )
        granted = [
            OldPermission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": codename}
            )[0]
            for codename in ("view_servicetoken", "revoke_servicetoken")
        ]
        old.get_model("accounts", "User").objects.get(pk=operator.pk).user_permissions.set(granted)
    finally:
        migrate_to_latest()
        ContentType.objects.clear_cache()

    row = ServiceToken.objects.get(name="build-pipeline")
    assert (row.pk, row.digest, row.scopes, row.revoked_at) == (
        old_row.pk,
        token_digest(plaintext),
        "verify",
        None,
    )
    assert ServiceToken._meta.db_table == "apikeys_servicetoken"

    owner = verified_user("owner@example.com", "pw-owner-123")
    project = Project.objects.create(owner=owner, name="Showroom")
    key = apikey_issue(user=owner).plaintext
    body = {"apiKey": key, "userId": owner.public_id, "projectId": project.public_id}
    assert apikey_verify(
        key=key,
        user_public_id=owner.public_id,
        project_public_id=project.public_id,
        token=TokenCheck(token=plaintext),
    ).ok
    response = client.post(
        "/internal/v1/verify",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plaintext}",
    )
    assert (response.status_code, response.json()["role"]) == (200, "OWNER")

    operator = User.objects.get(pk=operator.pk)  # a fresh permission cache
    assert operator.has_perm("apikeys.revoke_servicetoken")
    client.force_login(operator)
    client.post(
        "/admin/apikeys/servicetoken/",
        {"action": "revoke", "_selected_action": [row.pk]},
        follow=True,
    )
    row.refresh_from_db()
    assert row.revoked_at is not None
