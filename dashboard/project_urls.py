from django.urls import path

from dashboard import project_views as views

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("<str:project_id>/", views.project_detail, name="project_detail"),
    path("<str:project_id>/rename/", views.project_rename_view, name="project_rename"),
    path("<str:project_id>/settings/", views.project_settings_view, name="project_settings"),
    path("<str:project_id>/webhook/", views.project_webhook, name="project_webhook"),
    path("<str:project_id>/webhook/test/", views.project_webhook_test, name="project_webhook_test"),
    path(
        "<str:project_id>/webhook/secret/",
        views.project_webhook_secret,
        name="project_webhook_secret",
    ),
]
