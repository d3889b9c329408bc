"""A project's region and custom domain: the hostname rule, the service that sets both, and
the operator's admin form (the owner's dashboard form is in dashboard/tests)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from core.errors import ApplicationError
from projects.domains import custom_domain_clean, custom_domain_is_valid
from projects.models import Project
from projects.services import ProjectRefusal, project_settings_update
from tests.support.accounts import verified_user

VALID = [
    "stream.example.com",
    "a.co",
    "xn--bcher-kva.example",
    "a-b.c-d.example",
    "1stream.example.com",
    "x" * 63 + ".example.com",
    ".".join(["a" * 61] * 4),  # 247 characters
]
INVALID = [
    "",
    "localhost",  # one label
    "https://stream.example.com",
    "stream.example.com/path",
    "stream.example.com:443",
    "user@stream.example.com",
    "*.example.com",
    "-stream.example.com",
    "stream-.example.com",
    "stream..example.com",
    ".example.com",
    "x" * 64 + ".example.com",  # a label over 63
    ".".join(["a" * 63] * 4),  # 255 characters
    "192.168.0.1",  # an IP address, not a name
    "stream.example.123",
    "stream example.com",
    "stream.example.com\n",
    "bücher.example",  # only the ASCII (punycode) form
    "STREAM.EXAMPLE.COM",  # stored in lower case (custom_domain_clean lowers it)
    "stream_1.example.com",
]


@pytest.mark.parametrize("value", VALID)
def test_hostnames_are_valid(value):
    assert custom_domain_is_valid(value)


@pytest.mark.parametrize("value", INVALID, ids=repr)
def test_what_is_not_a_hostname_is_invalid(value):
    assert not custom_domain_is_valid(value)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (" Stream.Example.COM. ", "stream.example.com"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_a_typed_domain_is_stored_in_lower_case_without_a_trailing_dot(typed, stored):
    assert custom_domain_clean(typed) == stored


@pytest.mark.parametrize("typed", ["https://x.example.com", "x.example.com..", "İ.example.com"])
def test_cleaning_refuses_what_is_not_a_hostname(typed):
    with pytest.raises(ValidationError):
        custom_domain_clean(typed)


@pytest.mark.django_db
def test_the_service_sets_region_and_domain(showroom):
    before = showroom.updated_at
    project_settings_update(project=showroom, region="europe", custom_domain="Stream.Example.com")
    showroom.refresh_from_db()
    assert (showroom.region, showroom.custom_domain) == ("europe", "stream.example.com")
    assert showroom.updated_at > before
    project_settings_update(project=showroom, region="us-east-1", custom_domain="")
    showroom.refresh_from_db()
    assert (showroom.region, showroom.custom_domain) == ("us-east-1", "")


@pytest.mark.django_db
def test_the_service_refuses_an_unknown_region_or_a_bad_domain_and_changes_nothing(showroom):
    with pytest.raises(ApplicationError) as refused:
        project_settings_update(project=showroom, region="eu-west-1", custom_domain="http://x")
    assert refused.value.reason is ProjectRefusal.INVALID_SETTINGS
    assert set(refused.value.fields) == {"region", "customDomain"}
    showroom.refresh_from_db()
    assert (showroom.region, showroom.custom_domain) == ("asia-pacific", "")


@pytest.mark.django_db
def test_an_unchanged_setting_is_not_saved(showroom):
    before = showroom.updated_at
    project_settings_update(project=showroom, region="asia-pacific", custom_domain=None)
    showroom.refresh_from_db()
    assert showroom.updated_at == before


# --- the operator's admin ------------------------------------------------------------------


@pytest.fixture
def operator(db) -> Client:
    user = verified_user("root@example.com", "Root-pass-123", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def _change(operator, project, **fields):
    data = {
        "owner": project.owner_id,
        "name": project.name,
        "status": project.status,
        "region": project.region,
        "custom_domain": project.custom_domain,
        **fields,
    }
    return operator.post(f"/admin/projects/project/{project.pk}/change/", data)


def test_the_operator_sets_region_and_domain_in_the_admin(operator, showroom):
    response = _change(operator, showroom, region="us-east-1", custom_domain="Stream.Example.com.")
    assert response.status_code == 302
    showroom.refresh_from_db()
    assert (showroom.region, showroom.custom_domain) == ("us-east-1", "stream.example.com")


def test_the_admin_refuses_a_bad_domain_or_region(operator, showroom):
    response = _change(operator, showroom, custom_domain="https://x.example.com/")
    assert response.status_code == 200
    assert "Enter a hostname" in response.content.decode()
    response = _change(operator, showroom, region="mars")
    assert response.status_code == 200
    showroom.refresh_from_db()
    assert (showroom.region, showroom.custom_domain) == (Project.Region.ASIA_PACIFIC, "")
