from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apikeys.selectors import apikey_current_for
from teams.selectors import projects_visible_to


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/home.html",
        {
            "projects": projects_visible_to(user=request.user),
            "current_key": apikey_current_for(user=request.user),
        },
    )
