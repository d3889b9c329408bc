from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("keys/", include("apikeys.urls")),
    path("accounts/", include("allauth.urls")),
    path(settings.KEYSERVICE_ADMIN_PATH, admin.site.urls),
]
