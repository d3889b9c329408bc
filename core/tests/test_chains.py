"""core.chains: API paths take KEYSERVICE_API_MIDDLEWARE's chain, every other path MIDDLEWARE."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import Resolver404, set_urlconf

from core.chains import MiddlewareChain, is_api_path
from core.checks import api_middleware_check

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/internal/v1/verify", True),
        ("/internal/v1", True),
        ("/pixelStripeApi/projects", True),
        ("/pixelStripeApi", True),
        ("//PIXELSTRIPEAPI/projects", True),
        ("/internal/v10", False),
        ("/pixelStripeApiX", False),
        ("/keys/", False),
        ("/healthz", False),
        ("/api/schema/", False),
    ],
)
def test_the_api_paths_are_the_ones_whose_errors_are_json(path, api):
    assert is_api_path(path) is api


def test_an_api_request_never_reaches_the_dashboards_middleware(owner):
    """A signed-in browser's session cookie and a POST without a CSRF token: the dashboard
    would load the session (Vary: Cookie) and refuse the POST; the API chain does neither."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post(
        "/internal/v1/verify", json.dumps({}), content_type="application/json", secure=True
    )
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized: Missing service token"}
    assert "Vary" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert not hasattr(response.wsgi_request, "session")
    assert getattr(response.wsgi_request, "user", None) is None  # DRF: no authenticators
    assert response.headers["X-Request-ID"]


def test_a_dashboard_request_still_takes_the_whole_chain(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    page = browser.get("/keys/request/", secure=True)
    assert page.status_code == 200
    assert page.wsgi_request.user == owner
    assert "Content-Security-Policy" in page.headers
    assert page.headers["X-Request-ID"]
    refused = browser.post("/keys/request/", {}, secure=True)
    assert refused.status_code == 403  # CSRF, dashboard only


VIEWS_SEEN: list[str] = []


class RecordingMiddleware:
    """A middleware with a view hook, for the chain below."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        VIEWS_SEEN.append(request.path_info)


def test_a_chain_calls_the_view_hooks_of_its_own_middleware():
    VIEWS_SEEN.clear()
    chain = MiddlewareChain(["core.tests.test_chains.RecordingMiddleware"])
    response = chain(RequestFactory().get("/healthz"))
    assert response.status_code == 200
    assert VIEWS_SEEN == ["/healthz"]


def test_the_configured_chains_pass_the_check():
    assert api_middleware_check() == []


@override_settings(
    KEYSERVICE_API_MIDDLEWARE=[
        "django.middleware.common.CommonMiddleware",
        "core.request_id.RequestIdMiddleware",
    ]
)
def test_an_api_chain_out_of_the_dashboards_order_is_refused_at_startup():
    [error] = api_middleware_check()
    assert error.id == "core.E003"


def test_a_middleware_before_the_chooser_is_refused_at_startup(settings):
    settings.MIDDLEWARE = ["core.request_id.RequestIdMiddleware", *settings.MIDDLEWARE]
    assert [e.id for e in api_middleware_check()] == ["core.E002"]


def test_the_api_chain_resolves_a_path_once_and_each_project_id_to_its_own_match():
    chain = MiddlewareChain([])
    factory = RequestFactory()
    first = chain.resolve_request(factory.get("/internal/v1/verify"))
    again = chain.resolve_request(factory.get("/internal/v1/verify"))
    assert again is first and first.url_name == "internal_verify"
    one = chain.resolve_request(factory.get("/pixelStripeApi/projects/aaa"))
    other = chain.resolve_request(factory.get("/pixelStripeApi/projects/bbb"))
    assert (one.kwargs, other.kwargs) == ({"projectId": "aaa"}, {"projectId": "bbb"})
    assert one.route == other.route == "pixelStripeApi/projects/<str:projectId>"


def test_a_request_with_its_own_urlconf_resolves_in_it_not_from_the_kept_matches():
    chain = MiddlewareChain([])
    request = RequestFactory().get("/internal/v1/verify")
    request.urlconf = "bench.bare.urls"  # a urlconf without the route
    try:
        with pytest.raises(Resolver404):
            chain.resolve_request(request)
    finally:
        set_urlconf(None)  # resolve_request set it for this thread, as a request does
