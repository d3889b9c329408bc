"""webhooks 0004/0005 upgrade a database in place: every existing delivery gets an id of its
own (unique, 24 hex), every existing project keeps its retries on, no row is lost; and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.ids import is_public_id
from webhooks.models import Webhook, WebhookDelivery


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _before() -> list[tuple[str, str]]:
    """Every app at its latest, webhooks just before 0004."""
    others = [node for node in _latest() if node[0] != "webhooks"]
    return [*others, ("webhooks", "0003_webhook")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_existing_deliveries_get_distinct_ids_and_existing_webhooks_keep_retrying(postgres):
    old = _migrate(_before()).loader.project_state(_before(), at_end=True).apps
    User = old.get_model("accounts", "User")
    Project = old.get_model("projects", "Project")
    OldWebhook = old.get_model("webhooks", "Webhook")
    Delivery = old.get_model("webhooks", "WebhookDelivery")
    owner = User.objects.create(email="owner@example.com", password="!", public_id="a" * 24)
    project = Project.objects.create(owner=owner, name="Showroom", public_id="c" * 24)
    OldWebhook.objects.create(project=project, url="https://hooks.example.com/k", secret="ab" * 32)
    pks = [
        Delivery.objects.create(
            project=project, event="build.approved", url="https://hooks.example.com/k", payload={}
        ).pk
        for _ in range(5)
    ]
    try:
        _migrate(_latest())
        ids = dict(WebhookDelivery.objects.values_list("pk", "public_id"))
        assert sorted(ids) == sorted(pks)
        assert all(is_public_id(value) for value in ids.values())
        assert len(set(ids.values())) == len(pks)
        assert Webhook.objects.get().retries is True
        _migrate(_before())  # and back: the columns go, the rows stay
        assert sorted(Delivery.objects.values_list("pk", flat=True)) == sorted(pks)
    finally:
        _migrate(_latest())
