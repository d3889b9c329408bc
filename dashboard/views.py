from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from apikeys.models import ApiKey
from apikeys.overlap import overlap_choices
from apikeys.selectors import (
    apikey_active_for,
    apikey_current_for,
    apikey_overlapping_for,
    key_usage_days,
    keyuse_for,
    retired_key_notices,
)
from apikeys.usage.chart import usage_chart
from teams.selectors import project_list_visible


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    key = apikey_current_for(user=request.user)
    return render(
        request,
        "dashboard/home.html",
        {"projects": project_list_visible(user=request.user), **_key_facts(request, key)},
    )


def _key_facts(request: AuthenticatedHttpRequest, key: ApiKey | None) -> dict[str, object]:
    """What the home page and the key page both show of the user's key."""
    return {
        "current_key": key,
        "key_use": keyuse_for(key=key) if key else None,
        "usage_chart": usage_chart(days=key_usage_days(key=key)) if key else None,
        "retired_notices": retired_key_notices(user=request.user),
    }


@login_required
@require_GET
def key_detail(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's key page: hint, created, expiry, last use, the 30-day chart, the previous
    keys still in use, and the way to replace (Request API Key) or revoke it."""
    key = apikey_current_for(user=request.user)
    overlapping = apikey_overlapping_for(user=request.user)
    return render(
        request,
        "dashboard/key.html",
        {
            **_key_facts(request, key),
            "active_key": apikey_active_for(user=request.user),
            "overlapping": overlapping,
            "overlap_offered": bool(overlap_choices()),
            "overlapping_use": keyuse_for(key=overlapping) if overlapping else None,
            "overlap_seconds_left": (overlapping.overlap_until - timezone.now()).total_seconds()
            if overlapping and overlapping.overlap_until
            else 0,
        },
    )
