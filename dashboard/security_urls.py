from django.urls import path

from dashboard import security_views as views

urlpatterns = [
    path("", views.security, name="security"),
    path("audit/", views.security_audit, name="security_audit"),
    path("audit.csv", views.security_audit_csv, name="security_audit_csv"),
]
