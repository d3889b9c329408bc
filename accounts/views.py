from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """Replaces the admin's login view (keyservice/urls.py): it never shows a form nor reads
    credentials, for GET or POST. Anonymous visitors go to the sign-in everyone uses
    (allauth: its rate limits, Google), coming back to `next`; signed-in staff go on to
    `next`; signed-in non-staff get a plain refusal."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, login_url=reverse("account_login"))
    if request.user.is_active and request.user.is_staff:
        return redirect(next_url)
    return render(request, "admin/refused.html", status=403)


def admin_password_change(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Replaces the admin's password change form (keyservice/urls.py), whose old-password field
    no rate limit guards: staff change their password on allauth's page, like everyone."""
    return redirect("account_change_password")
