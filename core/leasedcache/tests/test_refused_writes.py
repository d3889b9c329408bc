"""A dashboard or admin write refused because the leased cache cannot announce it (its Redis is
unreachable: CacheUnavailable) is a 503 page that says nothing changed — never a 500 — and
indeed nothing changed (RefusedWriteMiddleware)."""

from __future__ import annotations

import pytest

from teams.models import Membership
from tests.support.services import free_port

pytestmark = pytest.mark.services


@pytest.fixture
def cache_redis_down(owner, readonly_member, verify_cache, settings):
    """The personas exist; then the leased cache's Redis becomes unreachable."""
    settings.KEYSERVICE_LEASED_CACHE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"


def test_removing_a_member_while_the_cache_redis_is_down_is_a_503_page_and_changes_nothing(
    client, owner, readonly_member, cache_redis_down
):
    client.force_login(owner)
    answer = client.post(f"/team/members/{readonly_member.public_id}/remove/")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    page = answer.content.decode()
    assert "Nothing was changed" in page and "Traceback" not in page
    assert Membership.objects.filter(owner=owner, member=readonly_member).exists()


def test_an_operator_deactivating_a_user_in_admin_while_the_cache_redis_is_down_gets_a_503(
    client, owner, readonly_member, cache_redis_down, django_user_model
):
    operator = django_user_model.objects.create_superuser(
        email="operator@example.com", password="pw-operator-123"
    )
    client.force_login(operator)
    answer = client.post(
        f"/admin/accounts/user/{readonly_member.pk}/change/",
        {"email": readonly_member.email, "name": "", "is_active": "", "public_id": "x"},
    )
    assert answer.status_code == 503, answer.content.decode()[:3000]
    readonly_member.refresh_from_db()
    assert readonly_member.is_active
