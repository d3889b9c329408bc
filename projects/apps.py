from django.apps import AppConfig

from accounts import hooks


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        # Imported once the app registry is ready: the selectors import models.
        from projects.selectors import project_held_by
        from projects.services import project_on_owner_deactivated

        hooks.USER_HOLDINGS.register(project_held_by)
        hooks.USER_DEACTIVATED.register(project_on_owner_deactivated)
