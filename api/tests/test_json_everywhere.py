"""Under the API prefixes every answer is JSON: no path, method or missing CSRF token ever
gets one of Django's HTML pages (the test client skips CSRF unless told, so these enforce it)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern

from api import urls as api_urls

pytestmark = pytest.mark.django_db

PATHS = [
    "/pixelStripeApi",
    "/internal/v1",
    "/pixelstripeapi/projects",
    "/pixelStripeApi/nope",
    "/pixelStripeApi/projects/a/b",
    "/pixelStripeApi/a%0ab",
    "/pixelStripeApi/%0a",
    "/pixelStripeApi/x%0d%0ay",
    "/internal/v1/nope",
    "/internal/v1/verify%0a",
    "/internal/v1/a%0a/b",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["get", "head", "post", "put", "patch", "delete", "options"])
def test_unrouted_paths_answer_json_404_even_with_csrf_enforced(path, method):
    client = Client(enforce_csrf_checks=True)
    if method in ("get", "head", "options"):
        response = getattr(client, method)(path)
    else:
        response = getattr(client, method)(path, data="{}", content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    if method != "head":  # no body, by HTTP
        assert response.json() == {"message": "Not found"}


def test_every_view_under_the_api_prefixes_is_csrf_exempt():
    patterns = [p for p in (*api_urls.public, *api_urls.internal) if isinstance(p, URLPattern)]
    unexempt = [str(p.pattern) for p in patterns if not getattr(p.callback, "csrf_exempt", False)]

    assert patterns
    assert unexempt == []
