from __future__ import annotations

import copy
import os
import uuid
from pathlib import Path

import pytest
import redis
from allauth.socialaccount import providers
from celery._state import _set_task_join_will_block
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from accounts.google import GoogleProvider
from accounts.models import User
from projects.models import Project
from teams.models import Membership, Role
from tests.e2e.fake_google import FakeGoogle
from tests.support.accounts import verified_user
from tests.support.receiver import WebhookReceiver
from tests.support.services import Worker, database_url, use_broker
from tests.support.smtp import SmtpServer


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _celery_join_allowed():
    """Eager Celery guards result.get() with a process-wide flag that it sets and restores
    around each eager call, unsynchronised: two threads' eager calls at once (a live server's
    requests) can leave it set, and a later test's .get() then fails. Every test starts clear."""
    _set_task_join_will_block(False)
    yield


# --- Personas -------------------------------------------------------------------------------


@pytest.fixture
def owner(db) -> User:
    return verified_user("owner@example.com", "pw-owner-123", name="Olivia Owner")


@pytest.fixture
def showroom(owner) -> Project:
    return Project.objects.create(owner=owner, name="Showroom")


@pytest.fixture
def configurator(owner) -> Project:
    return Project.objects.create(owner=owner, name="Configurator")


def _member(owner: User, email: str, role: str, projects: list[Project]) -> User:
    user = verified_user(email, "pw-member-123")
    membership = Membership.objects.create(owner=owner, member=user, role=role)
    membership.projects.set(projects)
    return user


@pytest.fixture
def full_member(owner, showroom) -> User:
    return _member(owner, "full@example.com", Role.FULL, [showroom])


@pytest.fixture
def readonly_member(owner, showroom) -> User:
    return _member(owner, "readonly@example.com", Role.READONLY, [showroom])


@pytest.fixture
def outsider(db) -> User:
    return verified_user("outsider@example.com", "pw-outsider-123")


# allauth builds its provider registry once, from the settings of that moment: load it now,
# before any test replaces SOCIALACCOUNT_PROVIDERS (and its "provider_class") wholesale.
providers.registry.load()


# --- Fake Google (sign-in tests in accounts/tests and tests/e2e) ---------------------------


@pytest.fixture(scope="session")
def fake_google():
    server = FakeGoogle().start()
    yield server
    server.stop()


@pytest.fixture
def google(fake_google, settings) -> FakeGoogle:
    """Sign-in with Google goes to the fake server for this test (nobody signed in yet)."""
    assert providers.registry.get_class("google") is GoogleProvider
    fake_google.reset()
    google_url = fake_google.url
    for name, value in fake_google.django_settings().items():
        setattr(settings, name, value)
    configured = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    configured["google"]["APPS"] = [fake_google.social_app()]
    settings.SOCIALACCOUNT_PROVIDERS = configured
    # The sign-in form's POST redirects to Google: the CSP lets forms go to Google's origin.
    policy = copy.deepcopy(getattr(settings, "CONTENT_SECURITY_POLICY", None))
    if policy and "form-action" in policy.get("DIRECTIVES", {}):
        policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], google_url]
        settings.CONTENT_SECURITY_POLICY = policy
    return fake_google


# --- Real services --------------------------------------------------------------------------


def leased_cache_flush(url: str) -> None:
    """Delete the leased cache's keys (ks:v:*: the change stream, the leases) in that Redis,
    nothing else."""
    from core.leasedcache._publish import leases_mark

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match="ks:v:*", count=1000):
        client.delete(key)
    leases_mark(client)  # a Redis with no holders (else the first write waits a whole lease)
    client.close()


@pytest.fixture
def verify_cache(settings, redis_url):
    """The leased cache on (it is off in the suite: settings_test has no REDIS_URL), its Redis
    the test Redis with nothing left from before, and this process holding its lease (without
    one nothing is served from memory). Request it after the persona fixtures: their writes
    happened with the cache off. Yields the Redis URL; gives the lease back afterwards."""
    from core.leasedcache import cache_clear, lease_holder, lease_holder_stop, outcomes

    settings.KEYSERVICE_LEASED_CACHE = True
    settings.KEYSERVICE_LEASED_CACHE_REDIS_URL = redis_url
    settings.KEYSERVICE_LEASED_CACHE_LEASE_SECONDS = 1.0
    leased_cache_flush(redis_url)
    cache_clear()
    holder = lease_holder()
    assert holder is not None
    assert holder.await_lease(10), "the lease holder never got its lease"
    outcomes.clear()
    yield redis_url
    lease_holder_stop()
    cache_clear()
    leased_cache_flush(redis_url)


@pytest.fixture
def verify_leases(verify_cache):
    """This process's lease holder (core.leasedcache), holding its lease."""
    from core.leasedcache import lease_holder

    holder = lease_holder()
    assert holder is not None
    assert holder.await_lease(10), "the lease holder never got its lease"
    return holder


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The suite's Redis database: REDIS_URL's server (CI) or the checkout's private one
    (keyservice/settings_test.py), a database of this test process's own."""
    return settings.TEST_REDIS_URL


@pytest.fixture
def postgres(transactional_db) -> None:
    """Committed rows, for tests whose other processes (gunicorn, workers) read them."""


@pytest.fixture
def receiver():
    """A real local HTTP server recording webhook deliveries (tests/support/receiver.py)."""
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker_queue():
    """A queue name unique to this test, so no other run's worker or message interferes."""
    return f"keyservice-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def celery_broker(transactional_db, redis_url, broker_queue, settings):
    """The real Redis broker, on this test's queue. Public leak reports wait in that Redis
    under their queue's name (apikeys.leaks.reports): this test's own, `<queue>-leaks`."""
    settings.KEYSERVICE_LEAK_REPORTS_QUEUE = f"{broker_queue}-leaks"
    use_broker(redis_url, broker_queue)
    yield redis_url
    use_broker(None)
    client = redis.Redis.from_url(redis_url)
    client.delete(*client.keys(f"{broker_queue}*") or [broker_queue])  # leave nothing behind
    client.close()


@pytest.fixture
def start_worker(postgres, smtp, settings):
    """Start real `celery worker` processes: start_worker(broker_url, queue, **env). They
    route the leak reports' drain to this test's queue for them (celery_broker)."""
    workers: list[Worker] = []

    def start(
        broker_url: str, queue: str, pool: tuple[str, ...] = ("--pool=solo",), **env
    ) -> Worker:
        env.setdefault("KEYSERVICE_LEAK_REPORTS_QUEUE", settings.KEYSERVICE_LEAK_REPORTS_QUEUE)
        worker = Worker(
            broker_url=broker_url,
            queue=queue,
            db_url=database_url(connection.settings_dict),
            email_url=smtp.url,
            pool=pool,
            **env,
        )
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.stop()


# --- Browser tests without a browser ----------------------------------------------------------
# With Debian's chromium missing, the browser tests (marker e2e) are left out of the run and
# the summary says so in one line; KEYSERVICE_REQUIRE_SERVICES=1 (CI) runs them, to fail.


def _browser_missing() -> str | None:
    from tests.e2e.conftest import CHROMIUM

    if Path(CHROMIUM).is_file() or os.environ.get("KEYSERVICE_REQUIRE_SERVICES") == "1":
        return None
    return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"


def _browser_tests_requested(config: pytest.Config) -> bool:
    e2e = Path(__file__).resolve().parent / "tests" / "e2e"
    paths = [Path(str(arg).split("::")[0]).resolve() for arg in config.args] or [Path.cwd()]
    return any(p == e2e or e2e in p.parents or p in e2e.parents for p in paths)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _browser_missing() is None:
        return
    browser = [item for item in items if item.get_closest_marker("e2e")]
    if browser:
        items[:] = [item for item in items if not item.get_closest_marker("e2e")]
        config.hook.pytest_deselected(items=browser)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    reason = _browser_missing()
    if reason and _browser_tests_requested(config):
        terminalreporter.write_line(f"SKIPPED the browser tests (tests/e2e, marker e2e): {reason}")


# --- No secret in test output -------------------------------------------------------------
# A failing test's report shows its arguments, locals and captured output, which may hold a
# plaintext key or token (a fixture's value, a request body). Every report is redacted as the
# logs are (core.logs.redact): a test failure never prints a secret.


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    from core.logs import redact

    report = yield
    if report.longrepr is not None and not report.skipped:
        report.longrepr = redact(str(report.longrepr))
    report.sections = [(title, redact(text)) for title, text in report.sections]
    return report
