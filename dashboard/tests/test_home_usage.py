"""The home page beside the key: last use, the 30-day chart, and "your previous key is still
in use" until dismissed or quiet for 30 days (issue 13, parts 1-2)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.services import apikey_issue
from apikeys.usage.models import KeyUsageDay, KeyUse

pytestmark = pytest.mark.django_db


def use(key, *, at=None, retired_uses=0, address="203.0.113.9", surface="public"):
    at = at or timezone.now()
    return KeyUse.objects.create(
        key=key,
        last_at=at,
        last_address=address,
        last_surface=surface,
        last_accepted=not retired_uses,
        retired_uses=retired_uses,
        retired_last_at=at if retired_uses else None,
    )


def test_the_home_page_shows_when_where_and_through_what_the_key_was_last_used(client, owner):
    key = apikey_issue(user=owner).api_key
    client.force_login(owner)
    assert "Last used: never" in client.get("/").content.decode()
    use(key, surface="internal")
    page = client.get("/").content.decode()
    assert "203.0.113.9" in page and "via the internal verify" in page


def test_the_chart_has_a_bar_per_day_for_30_days_scaled_to_the_busiest(client, owner):
    key = apikey_issue(user=owner).api_key
    today = timezone.now().date()
    KeyUsageDay.objects.create(key=key, day=today, accepted=30, refused=10)
    KeyUsageDay.objects.create(key=key, day=today - timedelta(days=3), accepted=5, refused=0)
    KeyUsageDay.objects.create(key=key, day=today - timedelta(days=40), accepted=99, refused=0)
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert len(re.findall(r'<rect class="day"', page)) == 30
    assert len(re.findall(r'<rect class="accepted"', page)) == 2
    assert len(re.findall(r'<rect class="refused"', page)) == 1
    assert "35 accepted" in page and "10 refused" in page  # the day 40 days ago is outside
    # the busiest day fills the height: 30 + 10 of 40
    assert re.search(r'class="accepted" x="290" y="15.0" width="8" height="45.0"', page)
    assert "<script" not in page.split("<main", 1)[1]


def test_the_previous_key_in_use_notice_shows_count_time_address_and_surface(client, owner):
    old = apikey_issue(user=owner).api_key
    apikey_issue(user=owner)
    use(old, retired_uses=7)
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert (
        f"Your previous key <code>{old.hint}</code> was used 7 times since you replaced it" in page
    )
    assert "203.0.113.9" in page


def test_dismissing_the_notice_hides_it_until_the_old_key_is_used_again(client, owner):
    old = apikey_issue(user=owner).api_key
    apikey_issue(user=owner)
    row = use(old, retired_uses=1)
    client.force_login(owner)
    answer = client.post(f"/keys/notices/{old.pk}/dismiss/")
    assert answer.status_code == 302
    assert "Your previous key" not in client.get("/").content.decode()
    KeyUse.objects.filter(pk=row.pk).update(
        retired_uses=2, retired_last_at=timezone.now() + timedelta(seconds=1)
    )
    assert "was used 2 times" in client.get("/").content.decode()


def test_a_notice_quiet_for_30_days_disappears(client, owner):
    old = apikey_issue(user=owner).api_key
    apikey_issue(user=owner)
    use(old, retired_uses=3, at=timezone.now() - timedelta(days=31))
    client.force_login(owner)
    assert "Your previous key" not in client.get("/").content.decode()


def test_nobody_else_can_dismiss_or_see_another_users_notice(client, owner, outsider):
    old = apikey_issue(user=owner).api_key
    apikey_issue(user=owner)
    use(old, retired_uses=1)
    client.force_login(outsider)
    assert old.hint not in client.get("/").content.decode()
    assert client.post(f"/keys/notices/{old.pk}/dismiss/").status_code == 404
    assert KeyUse.objects.get(key=old).dismissed_at is None


def test_dismiss_is_post_only(client, owner):
    old = apikey_issue(user=owner).api_key
    apikey_issue(user=owner)
    use(old, retired_uses=1)
    client.force_login(owner)
    assert client.get(f"/keys/notices/{old.pk}/dismiss/").status_code == 405
