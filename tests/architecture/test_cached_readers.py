"""Every cached reader declares what its query reads (core.leasedcache.Sources, beside the
query), and the declaration is complete: each reader's SQL is captured, and every table it
reads must belong to a model its Sources declares, tracked (its writes announce) and written
through a TrackedQuerySet. A reader added to the wiring's READERS without a probe here fails."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from api.project_extras import PROJECT_EXTRAS_SOURCES, _compute
from apikeys.verifier.credentials import credential_lookup
from apikeys.verifier.sources import VERIFIER_SOURCES
from core.leasedcache import Sources, TrackedManager, TrackedQuerySet, readers, tracked_models
from keyservice.wiring import READERS

pytestmark = pytest.mark.django_db


def _verifier_sql(showroom) -> str:
    """The credential query, with a service token and without one (two SQL texts)."""
    with CaptureQueriesContext(connection) as queries:
        for token_digest in ("0" * 64, None):
            credential_lookup(
                key_digest="0" * 64,
                project_public_id=showroom.public_id,
                token_digest=token_digest,
                scope="verify",
            )
    return " ".join(q["sql"] for q in queries)


def _project_extras_sql(showroom) -> str:
    with CaptureQueriesContext(connection) as queries:
        _compute(showroom.pk)
    return " ".join(q["sql"] for q in queries)


# Each reader of the wiring's READERS, and how to make it run its query.
PROBES: dict[str, tuple[Sources, Callable[..., str]]] = {
    VERIFIER_SOURCES.reader: (VERIFIER_SOURCES, _verifier_sql),
    PROJECT_EXTRAS_SOURCES.reader: (PROJECT_EXTRAS_SOURCES, _project_extras_sql),
}


def _by_table():
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def _tables(sql: str) -> set[str]:
    # every quoted name that is a table (a subquery reads its table under an alias: U0)
    return set(re.findall(r'"([a-z_]+)"', sql)) & set(_by_table())


def test_every_reader_of_the_wiring_has_a_probe_and_is_installed():
    assert set(PROBES) == {reader.reader for reader in READERS}
    assert set(readers()) == set(PROBES)


@pytest.mark.parametrize("reader", sorted(PROBES))
def test_every_table_a_cached_reader_reads_is_declared_in_its_sources(reader, showroom):
    sources, probe = PROBES[reader]
    by_table = _by_table()
    tables = _tables(probe(showroom))
    assert tables, "the probe ran no query"
    for table in tables:
        model = by_table[table]
        assert model in sources.models(), f"{reader} reads {model.__name__}: declare it"
        assert model in tracked_models(), f"{model.__name__} feeds {reader} but announces nothing"
        assert isinstance(model._default_manager.all(), TrackedQuerySet)


def test_every_table_the_credential_query_reads_is_covered(showroom):
    tables = _tables(_verifier_sql(showroom))
    assert {"accounts_user", "apikeys_apikey", "apikeys_servicetoken", "projects_project"} <= tables
    assert "teams_membership_projects" in tables and "teams_membership" in tables
    covered = tracked_models()
    for table in tables:
        model = _by_table()[table]
        assert model in covered, f"{model.__name__} feeds the verify answer but bumps nothing"
        assert isinstance(model._default_manager, TrackedManager) or model is User
        assert isinstance(model._default_manager.all(), TrackedQuerySet)


def test_every_table_the_cached_project_extras_read_is_covered(showroom):
    tables = _tables(_project_extras_sql(showroom))
    assert tables == {"builds_upload", "webhooks_webhook", "projects_project"}
    for table in tables:
        model = _by_table()[table]
        assert model in tracked_models(), f"{model.__name__} feeds the project read"
        assert isinstance(model._default_manager.all(), TrackedQuerySet)
