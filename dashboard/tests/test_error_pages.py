"""The branded error pages: the dashboard's 403, 404 and 500 lead back to the dashboard; the
APIs' paths keep their {"message"} JSON (api/errors.py)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import path

from keyservice.urls import urlpatterns as site_urlpatterns


def _forbidden(request):
    raise PermissionDenied


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("forbidden/", _forbidden),
    path("broken/", _broken),
    *site_urlpatterns,
]
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_an_unknown_page_is_the_branded_404_with_the_way_back(client, owner):
    client.force_login(owner)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html
    assert 'href="/">Back to the dashboard</a>' in html
    assert '<nav id="site-nav"' in html


def test_a_refused_page_is_the_branded_403(client, owner):
    client.force_login(owner)
    response = client.get("/forbidden/")
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_a_server_error_is_the_branded_500(client):
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert 'href="/">Back to the dashboard</a>' in html


def test_the_api_paths_keep_their_json_errors(client):
    response = client.get("/pixelStripeApi/no-such-endpoint")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found"}


def test_an_expired_form_is_the_branded_csrf_page(owner):
    from django.middleware.csrf import CsrfViewMiddleware

    request = RequestFactory().post("/keys/request/", {"nonce": "x"})
    request._dont_enforce_csrf_checks = False
    response = CsrfViewMiddleware(lambda r: None).process_view(request, _broken, (), {})
    assert response is not None and response.status_code == 403
    assert "This form has expired" in response.content.decode()
