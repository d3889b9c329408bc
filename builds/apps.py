from django.apps import AppConfig

from core.stamped import stamps_track
from core.stamps import StampKind


class BuildsConfig(AppConfig):
    name = "builds"
    verbose_name = "Build uploads"

    def ready(self) -> None:
        from builds.models import Upload

        # The public project read caches a project's files under its stamp (api.project_extras):
        # the fields it answers with bump it; the pipeline's bookkeeping does not.
        stamps_track(
            Upload,
            sources=[(StampKind.PROJECT, "project_id")],
            watched=["id", "project", "public_id", "file_url", "status", "objection", "created_at"],
        )
