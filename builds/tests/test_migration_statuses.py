"""builds 0003 upgrades a database in place: every upload keeps its row, the old lowercase
statuses become the documented spellings, old approved builds count as approved (and live
when they were released), and the way back restores the old values."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("builds", "0002_upload_project_in_projects")]
AFTER = [("builds", "0003_documented_statuses_and_release")]
OLD_TO_NEW = {
    "pending": "pending",
    "downloading": "Downloading Files",
    "extracting": "Extracting & Scanning",
    "saving": "Saving to Repository",
    "distributing": "Distribute",
    "approved": "Approved",
    "rejected": "Reject",
}


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _migrate(targets):
    """Migrate builds to `targets`; the models of that moment (the other apps at their latest)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    others = [node for node in _latest() if node[0] != "builds"]
    return MigrationExecutor(connection).loader.project_state([*others, *targets]).apps


@pytest.mark.django_db(transaction=True)
def test_the_statuses_are_mapped_in_place_and_back(postgres):
    old = _migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        Project = old.get_model("projects", "Project")
        Upload = old.get_model("builds", "Upload")
        user = User.objects.create(email="old@example.com", public_id="a" * 24)
        project = Project.objects.create(owner=user, name="Old", public_id="b" * 24)
        rows = {}
        for i, status in enumerate(OLD_TO_NEW):
            upload = Upload.objects.create(
                project=project,
                user=user,
                public_id=f"{i:024x}",
                file_url=f"https://cdn.example.com/{i}.zip",
                status=status,
                objection="bad zip" if status == "rejected" else "",
            )
            rows[upload.pk] = status
        held = Upload.objects.create(
            project=project,
            public_id="c" * 24,
            file_url="https://cdn.example.com/held.zip",
            status="approved",
            auto_release=False,
        )

        new = _migrate(AFTER)
        Upload = new.get_model("builds", "Upload")
        upgraded = {u.pk: u for u in Upload.objects.all()}
        assert set(upgraded) == {*rows, held.pk}
        for pk, status in rows.items():
            assert upgraded[pk].status == OLD_TO_NEW[status]
            assert upgraded[pk].objection == ("bad zip" if status == "rejected" else "")
        approved = next(pk for pk, status in rows.items() if status == "approved")
        assert upgraded[approved].approved_at and upgraded[approved].released_at  # autoRelease
        assert upgraded[held.pk].status == "Approved"
        assert upgraded[held.pk].approved_at and upgraded[held.pk].released_at is None

        back = _migrate(BEFORE).get_model("builds", "Upload")
        assert {u.pk: u.status for u in back.objects.all()} == {**rows, held.pk: "approved"}
    finally:
        _migrate(_latest())
