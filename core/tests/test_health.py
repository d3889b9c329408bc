"""/healthz (core/health.py)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_health_check_answers_ok(client):
    response = client.get("/healthz")
    assert response.json() == {"status": "ok"}
