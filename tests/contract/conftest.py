"""With KEYSERVICE_CONTRACT_BASE_URL set (`make scaleout` sets it to HAProxy), the contract
tests run unchanged over real HTTP against that URL: `client` is tests/support/live_client.py,
the tests use the database the servers behind the URL use (DATABASE_URL, no test database) and
commit what they create (transactional tests) so those servers see it. Tests that change this
process's settings or patch its code (`settings`, `monkeypatch`, `live_server`) cannot reach
the servers behind the URL and are skipped, with that reason. Unset, nothing changes."""

from __future__ import annotations

import os

import pytest

from tests.support.live_client import LiveClient

BASE_URL = os.environ.get("KEYSERVICE_CONTRACT_BASE_URL", "")
IN_PROCESS_ONLY = {"settings", "monkeypatch", "live_server", "caplog"}
# Tests that forge what no HTTP client can send (a WSGI environ value), by name: why.
IN_PROCESS_TESTS = {
    "test_every_api_answer_carries_the_same_headers_and_nothing_of_the_dashboard": (
        "forges CONTENT_LENGTH in the WSGI environ (its 413 case): in-process only"
    ),
}

if BASE_URL:

    @pytest.fixture(scope="session")
    def django_db_setup():
        """The servers' own database, migrated by whoever started them."""
        yield

    @pytest.fixture
    def client() -> LiveClient:
        return LiveClient(BASE_URL)

    def _requested(item) -> set[str]:
        """The fixtures a test asks for, directly or through its fixtures (autouse ones of
        other plugins aside: pytest-django's own use `monkeypatch` on every test)."""
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            return set()
        seen: set[str] = set()
        todo = list(info.argnames)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for fixturedef in info.name2fixturedefs.get(name, ()):
                todo.extend(fixturedef.argnames)
        return seen

    def pytest_collection_modifyitems(config, items):
        for item in items:
            in_process = IN_PROCESS_ONLY & _requested(item)
            if item.originalname in IN_PROCESS_TESTS:
                item.add_marker(pytest.mark.skip(reason=IN_PROCESS_TESTS[item.originalname]))
            elif in_process:
                reason = f"uses {', '.join(sorted(in_process))}: in-process only, not over HTTP"
                item.add_marker(pytest.mark.skip(reason=reason))
            elif item.get_closest_marker("django_db") or "db" in item.fixturenames:
                item.add_marker(pytest.mark.django_db(transaction=True), append=False)
