from django.urls import path

from apikeys import views

urlpatterns = [
    path("request/", views.request_key, name="apikey_request"),
    path("revoke/", views.revoke_key, name="apikey_revoke"),
]
