from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The signed-in pages that combine several apps: home and the project pages. No models."""

    name = "dashboard"
    verbose_name = "Dashboard"
