import pytest

from apikeys.service_tokens import service_token_create
from core.tests.conftest import (  # noqa: F401  (shared fixtures)
    redis_cache,
    redis_server,
)


@pytest.fixture
def token(db):
    return service_token_create(name="build-pipeline")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Writes inside the test's transaction run their on-commit bumps at the block's end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
