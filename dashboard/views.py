from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from apikeys.selectors import apikey_current_for
from teams.selectors import project_list_visible


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/home.html",
        {
            "projects": project_list_visible(user=request.user),
            "current_key": apikey_current_for(user=request.user),
        },
    )
