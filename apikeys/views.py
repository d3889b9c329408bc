"""Request API Key: a confirmation page, then the new key shown exactly once.

The confirmation form carries a one-time nonce kept in the session: a reload or a replayed
POST of the response page finds it spent and redirects without issuing or showing a key.
The session only says which nonce this browser was given; spending it is atomic in the
database (apikey_issue stores its digest on the new key, under the user's row lock), so
concurrent POSTs of one nonce issue exactly one key.
"""

import hmac
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from apikeys.selectors import apikey_current_for
from apikeys.services import KeyRefusal, apikey_issue
from core.errors import ApplicationError
from core.stamps import StampRefusal

_NONCE = "apikey_request_nonce"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_key(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        expected = request.session.pop(_NONCE, None)
        given = request.POST.get("nonce", "")
        if expected and hmac.compare_digest(expected, given):
            try:
                issued = apikey_issue(user=request.user, actor=request.user, request_nonce=given)
            except ApplicationError as refused:
                if refused.reason is StampRefusal.UNAVAILABLE:  # nothing was issued
                    messages.error(request, refused.message)
                    return redirect("apikey_request")
                if refused.reason is not KeyRefusal.REQUEST_ALREADY_HANDLED:
                    raise
            else:
                return render(
                    request,
                    "apikeys/issued.html",
                    {"api_key": issued.plaintext, "key": issued.api_key},
                )
        messages.warning(
            request,
            "That request was already handled, so no new key was issued. A key is shown only "
            "once: if you lost it, request a new one below.",
        )
        return redirect("apikey_request")
    request.session[_NONCE] = secrets.token_urlsafe(24)
    return render(
        request,
        "apikeys/request.html",
        {"nonce": request.session[_NONCE], "current_key": apikey_current_for(user=request.user)},
    )
