"""Migrating the test database to a point in the migration graph and back (upgrade tests)."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Node = tuple[str, str | None]


def migrate_to(targets: list[Node]) -> Apps:
    """Migrate to `targets` (app, migration name or None for "before the first"); the
    historical models at that point."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # (app, None) is "before the app's first migration": not a node of the graph's states.
    nodes = [(app, name) for app, name in targets if name is not None]
    return executor.loader.project_state(nodes).apps


def leaf_nodes() -> list[Node]:
    """The latest migration of every app."""
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


def migrate_to_latest() -> Apps:
    return migrate_to(leaf_nodes())
