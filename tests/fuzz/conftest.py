"""schemathesis 4.32 under pytest 9.2: its per-operation items all get the nodeid
`test_api_fuzz` (pytest 9.2 builds a Function's id from `originalname` and a callspec, and
schemathesis passes neither for its operations). pytest-xdist schedules by nodeid, so ten of
the eleven operations were silently never run in a parallel run. Each gets its operation as
its id's parameter again: `test_api_fuzz[POST /internal/v1/verify]`."""

from __future__ import annotations

import pytest
from schemathesis.pytest.plugin import SchemathesisFunction


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, SchemathesisFunction) or item.nodeid.endswith("]"):
            continue
        prefix = f"{item.originalname}["
        if item.name.startswith(prefix) and item.name.endswith("]"):
            operation = item.name[len(prefix) : -1]
            # pytest keeps an item's id in `_id` (no public setter).
            item._id = item.parent.id.child(item.originalname).with_params(operation)  # type: ignore[union-attr]
