"""Revoking keys in the admin needs its own permission: viewing them is not enough."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from apikeys.services import apikey_issue
from tests.support.accounts import verified_user

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/apikeys/apikey/"


def staff_with(*codenames: str) -> Client:
    user = verified_user("staff@example.com", "Staff-pass-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def revoke(client, key):
    return client.post(CHANGELIST, {"action": "revoke", "_selected_action": [key.pk]})


def test_a_staff_user_with_only_view_permission_cannot_revoke(owner):
    key = apikey_issue(user=owner).api_key
    client = staff_with("view_apikey")

    assert b'value="revoke"' not in client.get(CHANGELIST).content
    revoke(client, key)

    key.refresh_from_db()
    assert key.is_active


def test_the_revoke_permission_allows_revoking(owner):
    key = apikey_issue(user=owner).api_key
    client = staff_with("view_apikey", "revoke_apikey")

    assert b'value="revoke"' in client.get(CHANGELIST).content
    response = revoke(client, key)

    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active
