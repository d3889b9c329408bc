"""The access rule is written once (teams.selectors: membership_find_granting, access_resolve)
and both paths that apply it agree: the ORM path (`project_access_for`, the dashboard) and the
API's one-query hot path (apikeys.verifier.credentials.credential_lookup, which compiles the
rule into its SQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys import crypto
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import credential_lookup
from teams.selectors import Access, project_access_for

pytestmark = pytest.mark.django_db


def _deactivated(full_member):
    full_member.is_active = False
    full_member.save(update_fields=["is_active"])
    return full_member


@pytest.mark.parametrize(
    ("persona", "project", "expected"),
    [
        ("owner", "showroom", Access.OWNER),
        ("full_member", "showroom", Access.FULL),
        ("readonly_member", "showroom", Access.READONLY),
        ("full_member", "configurator", Access.NONE),  # a member, without this project
        ("outsider", "showroom", Access.NONE),
        ("deactivated", "showroom", Access.NONE),  # a FULL member, deactivated
    ],
)
def test_the_orm_path_and_the_hot_path_agree(request, persona, project, expected):
    user = request.getfixturevalue("full_member" if persona == "deactivated" else persona)
    project = request.getfixturevalue(project)
    key = apikey_issue(user=user).plaintext
    if persona == "deactivated":
        user = _deactivated(user)

    orm = project_access_for(user_id=user.pk, project=project)
    with CaptureQueriesContext(connection) as queries:
        hot = credential_lookup(
            key_digest=crypto.digest(key), project_public_id=project.public_id
        ).access

    assert orm is hot is expected
    assert len(queries) == 1


def test_a_deactivated_owner_is_refused_by_the_hot_path_as_an_unknown_key(owner, showroom):
    key = apikey_issue(user=owner).plaintext
    _deactivated(owner)
    found = credential_lookup(key_digest=crypto.digest(key), project_public_id=showroom.public_id)
    assert (found.key_found, found.access) == (False, Access.NONE)
