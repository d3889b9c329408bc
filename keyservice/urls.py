from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from accounts import views as account_views
from api import urls as api_urls
from teams import views as team_views

# Operators sign in to admin through the same sign-in as everyone (allauth: Google, rate
# limits); admin's own login form is never shown.
admin.site.login = login_required(admin.site.login)

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("keys/", include("apikeys.urls")),
    path("team/", include("teams.urls")),
    path("invitations/<str:token>/", team_views.invitation_detail, name="invitation_detail"),
    path("projects/", include("accounts.project_urls")),
    path("accounts/", include("allauth.urls")),
    path("pixelStripeApi/", include(api_urls.public)),
    path("internal/v1/", include(api_urls.internal)),
    path("api/", include(api_urls.docs)),
    path(settings.KEYSERVICE_ADMIN_PATH, admin.site.urls),
]
