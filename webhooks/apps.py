from django.apps import AppConfig

from core.stamped import stamps_track
from core.stamps import StampKind


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # The app's own services import models: loadable only once the registry is ready.
        from webhooks.models import Webhook

        # The public project read caches the URL and events under the project's stamp
        # (api.project_extras); the secret and the retry setting are not in that answer.
        stamps_track(
            Webhook,
            sources=[(StampKind.PROJECT, "project_id")],
            watched=["id", "project", "url", "events"],
        )
