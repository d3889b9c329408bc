"""An upload or a webhook edit drops the public read's extras of its project, and no
credential's answer: those depend on the project's row (PROJECT), not on its files and webhook
(PROJECT_EXTRAS)."""

from __future__ import annotations

from builds.models import Upload
from core.leasedcache import Topic, dependency, tracking_of
from webhooks.models import Webhook


def test_an_upload_announces_its_projects_extras_and_not_the_project() -> None:
    tracking = tracking_of(Upload)
    assert tracking is not None
    names = tracking.keys(Upload(project_id=5, user_id=7))
    assert names == {dependency(Topic.PROJECT_EXTRAS, 5)}


def test_a_webhook_edit_announces_its_projects_extras_and_not_the_project() -> None:
    tracking = tracking_of(Webhook)
    assert tracking is not None
    assert tracking.keys(Webhook(project_id=5)) == {dependency(Topic.PROJECT_EXTRAS, 5)}
