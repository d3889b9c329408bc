import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Writes inside the test's transaction run their on-commit announcements at the end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
