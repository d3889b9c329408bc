from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from accounts import views as account_views
from api import urls as api_urls
from api.errors import not_found
from core import health
from core.metrics_http import metrics_view
from dashboard import views as dashboard_views
from teams import urls as team_urls

# The admin has no login form of its own: its login URL never reads credentials. Operators
# sign in through the same sign-in as everyone (allauth: Google, rate limits).
# (Both replace a bound method of the one site instance on purpose, which the stubs reject:
# they type login with an extra_context argument the URL never passes, and password_change
# as answering a TemplateResponse, where ours redirects.)
admin.site.login = account_views.admin_login  # type: ignore[method-assign, assignment]
# Nor a password form of its own (an unthrottled old-password check): allauth's page instead.
admin.site.password_change = account_views.admin_password_change  # type: ignore[method-assign, assignment]
# The product's name on every admin page ("Django administration" otherwise).
admin.site.site_header = "keyservice administration"
admin.site.site_title = "keyservice admin"
admin.site.index_title = "Operations"


def _not_offered(request, *args, **kwargs):
    raise Http404


def _favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page links: the static file's (hashed) URL."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


# The APIs first (the internal one, with the hot path, at the very top): Django tries the
# patterns in order, and no other route shares their prefixes.
urlpatterns = [
    path("internal/v1/", include(api_urls.internal)),
    path("pixelStripeApi/", include(api_urls.public)),
    # The bare prefixes answer the API's JSON 404 too, not a redirect to the slashed form.
    path("internal/v1", not_found),
    path("pixelStripeApi", not_found),
    path("", dashboard_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", _favicon),
    path("metrics", metrics_view, name="metrics"),  # token-protected (core.metrics_http)
    path("keys/", dashboard_views.key_detail, name="apikey_detail"),
    path("keys/", include("apikeys.urls")),
    path("team/", include("teams.urls")),
    path("invitations/", include(team_urls.invitations)),
    path("projects/", include("dashboard.project_urls")),
    path("security/", include("dashboard.security_urls")),
    # A user's address changes only through accounts.services.user_email_change (operators):
    # allauth's own "manage email addresses" page is not offered.
    path("accounts/email/", _not_offered),
    path("accounts/", include("allauth.urls")),
    path("api/", include(api_urls.docs)),
    path(settings.KEYSERVICE_ADMIN_PATH, admin.site.urls),
]

# What never reaches a view (a refused Host header, a middleware's exception, an unrouted
# path): JSON {"message"} under the API prefixes, the branded pages elsewhere (api.errors).
handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
