"""Request API Key (a confirmation page, then the new key shown exactly once) and Revoke my
key (a confirmation page, then the key is revoked and none issued).

Each confirmation form carries a one-time nonce kept in the session: a reload or a replayed
POST of the response page finds it spent and redirects without acting. The session only says
which nonce this browser was given; spending it is atomic in the database (apikey_issue
stores its digest on the new key, under the user's row lock), so concurrent POSTs of one
nonce issue exactly one key; apikey_revoke_own revokes under the same lock, so a second
revoke finds no active key.
"""

import hmac
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from apikeys.lifetime import lifetime_choices, lifetime_default, lifetime_label
from apikeys.overlap import overlap_choices, overlap_label
from apikeys.refusals import KeyRefusal
from apikeys.revocation import apikey_overlap_end_own, apikey_revoke_own
from apikeys.selectors import apikey_active_for, apikey_current_for, apikey_overlapping_for
from apikeys.services import DEFAULT_LIFETIME, Lifetime, apikey_issue, keyuse_dismiss
from core.errors import ApplicationError
from core.leasedcache import CacheRefusal

_NONCE = "apikey_request_nonce"
_REVOKE_NONCE = "apikey_revoke_nonce"
_NOT_OFFERED = -1  # a submitted lifetime that is no number of days: refused by apikey_issue


def _nonce_spent(request: AuthenticatedHttpRequest, name: str) -> str | None:
    """The POSTed nonce if it is the one this session was given (which is spent now)."""
    expected = request.session.pop(name, None)
    given = request.POST.get("nonce", "")
    return given if expected and hmac.compare_digest(expected, given) else None


def _overlap(request: AuthenticatedHttpRequest) -> int:
    """The submitted overlap in seconds (0: none, also when none was sent); a value that is
    no number is -1, which apikey_issue refuses."""
    value = request.POST.get("overlap", "0")
    return int(value) if value.isdigit() and len(value) <= 8 else _NOT_OFFERED


def _lifetime(request: AuthenticatedHttpRequest) -> Lifetime:
    """The submitted lifetime: days, None ("never"), or the default when none was sent."""
    value = request.POST.get("lifetime")
    if value is None:
        return DEFAULT_LIFETIME
    if value == "never":
        return None
    return int(value) if value.isdigit() and len(value) <= 5 else _NOT_OFFERED


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_key(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        nonce = _nonce_spent(request, _NONCE)
        if nonce is not None:
            lifetime = _lifetime(request)
            try:
                issued = apikey_issue(
                    user=request.user,
                    actor=request.user,
                    request_nonce=nonce,
                    lifetime_days=lifetime,
                    overlap_seconds=_overlap(request),
                )
            except ApplicationError as refused:
                if refused.reason in (
                    KeyRefusal.LIFETIME_NOT_ALLOWED,
                    KeyRefusal.OVERLAP_NOT_ALLOWED,
                ):
                    messages.error(request, f"No key was issued. {refused.message}")
                    return redirect("apikey_request")
                if refused.reason is CacheRefusal.UNAVAILABLE:  # nothing was issued
                    messages.error(request, refused.message)
                    return redirect("apikey_request")
                if refused.reason is not KeyRefusal.REQUEST_ALREADY_HANDLED:
                    raise
            else:
                return render(
                    request,
                    "apikeys/issued.html",
                    {
                        "api_key": issued.plaintext,
                        "key": issued.api_key,
                        "previous": apikey_overlapping_for(user=request.user),
                    },
                )
        messages.warning(
            request,
            "That request was already handled, so no new key was issued. A key is shown only "
            "once: if you lost it, request a new one below.",
        )
        return redirect("apikey_request")
    request.session[_NONCE] = secrets.token_urlsafe(24)
    default = lifetime_default()
    current = apikey_current_for(user=request.user)
    return render(
        request,
        "apikeys/request.html",
        {
            "nonce": request.session[_NONCE],
            "current_key": current,
            # Offered only when there is a working key to keep (and the operator allows it).
            "overlaps": [(str(s), overlap_label(s)) for s in overlap_choices()]
            if current is not None and not current.has_expired
            else [],
            "lifetimes": [
                ("never" if days is None else str(days), lifetime_label(days), days == default)
                for days in lifetime_choices()
            ],
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def revoke_key(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        if _nonce_spent(request, _REVOKE_NONCE) is None:
            messages.warning(request, "That request was already handled: nothing was revoked.")
            return redirect("home")
        try:
            revoked = apikey_revoke_own(user=request.user, actor=request.user)
        except ApplicationError as refused:
            if refused.reason is not KeyRefusal.NO_ACTIVE_KEY:
                raise
            messages.error(request, f"Nothing was revoked. {refused.message}")
            return redirect("home")
        messages.success(
            request,
            f"Your key {revoked.hint} was revoked: it stops working now. No new key was issued.",
        )
        return redirect("home")
    active = apikey_active_for(user=request.user)
    if active is not None:
        request.session[_REVOKE_NONCE] = secrets.token_urlsafe(24)
    return render(
        request,
        "apikeys/revoke.html",
        {"nonce": request.session.get(_REVOKE_NONCE), "active_key": active},
    )


@login_required
@require_POST
def notice_dismiss(request: AuthenticatedHttpRequest, key_id: int) -> HttpResponse:
    """Dismiss "your previous key … is still in use" (until that key is used again)."""
    if not keyuse_dismiss(user=request.user, key_pk=key_id):
        raise Http404("No such notice")
    messages.info(request, "Notice dismissed. It comes back if that key is used again.")
    return redirect("home")


@login_required
@require_POST
def overlap_end(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Stop the previous key now, before its overlap's end (a button on the key page)."""
    try:
        ended = apikey_overlap_end_own(user=request.user, actor=request.user)
    except ApplicationError as refused:  # Redis down: nothing changed
        messages.error(request, refused.message)
        return redirect("apikey_detail")
    if ended:
        messages.success(request, "Your previous key stopped working now.")
    else:
        messages.info(request, "Your previous key had already stopped working.")
    return redirect("apikey_detail")
