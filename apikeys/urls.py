from django.urls import path

from apikeys import views

urlpatterns = [
    path("request/", views.request_key, name="apikey_request"),
    path("notices/<int:key_id>/dismiss/", views.notice_dismiss, name="apikey_notice_dismiss"),
    path("revoke/", views.revoke_key, name="apikey_revoke"),
    path("overlap/end/", views.overlap_end, name="apikey_overlap_end"),
]
