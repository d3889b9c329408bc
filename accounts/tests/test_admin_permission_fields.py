"""Only superusers grant staff, superuser, groups or permissions in the user admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from tests.support.accounts import verified_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(db) -> User:
    """Staff with view_user and change_user, nothing else."""
    user = verified_user("clerk@example.com", "Clerk-pass-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_user", "change_user"]))
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_staff_user_with_change_user_cannot_make_themselves_superuser(clerk):
    client = signed_in(clerk)
    url = f"/admin/accounts/user/{clerk.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="is_superuser"' not in form and 'name="user_permissions"' not in form

    response = client.post(
        url,
        {
            "email": clerk.email,
            "name": "Clerk",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "user_permissions": [p.pk for p in Permission.objects.all()],
        },
    )

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.name == "Clerk"  # the rest of the form was saved
    assert not clerk.is_superuser
    assert clerk.user_permissions.count() == 2


def test_a_staff_user_with_change_user_cannot_grant_staff_to_someone_else(clerk, owner):
    signed_in(clerk).post(
        f"/admin/accounts/user/{owner.pk}/change/",
        {"email": owner.email, "name": "x", "is_active": "on", "is_staff": "on"},
    )
    owner.refresh_from_db()
    assert not owner.is_staff


def test_a_staff_user_cannot_change_a_superuser_account(clerk):
    root = User.objects.create_superuser("root@example.com", "Root-pass-123")
    client = signed_in(clerk)
    response = client.post(
        f"/admin/accounts/user/{root.pk}/change/",
        {"email": "clerk-owned@example.com", "name": "", "is_active": "on"},
    )
    assert response.status_code == 403
    assert client.get(f"/admin/accounts/user/{root.pk}/password/").status_code == 403
    root.refresh_from_db()
    assert root.email == "root@example.com"


def test_a_superuser_still_edits_permission_fields(owner):
    root = User.objects.create_superuser("root@example.com", "Root-pass-123")
    response = signed_in(root).post(
        f"/admin/accounts/user/{owner.pk}/change/",
        {"email": owner.email, "name": "", "is_active": "on", "is_staff": "on"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.is_staff
