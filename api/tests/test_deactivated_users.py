"""A deactivated user (User.is_active false) is an unknown key everywhere, on the next request:
every public endpoint and internal verify answer the documented 401, members included, and the
dashboard no longer accepts the user's existing session (issue 9, item 4)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from tests.support.api import DETAIL, LIST, STATUS, UPLOAD, VALID_ZIP, internal_verify

pytestmark = pytest.mark.django_db

INVALID_KEY = {"message": "Unauthorized: Invalid API Key"}


def deactivate(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)  # as the admin's checkbox does


verify = internal_verify


@pytest.mark.parametrize("persona", ["owner", "full_member"])
@pytest.mark.parametrize("endpoint", [LIST, STATUS, DETAIL, UPLOAD], ids=lambda e: e.name)
def test_a_key_that_worked_a_request_earlier_is_an_invalid_key_once_its_user_is_deactivated(
    request, client, persona, endpoint, showroom, full_member
):
    user = request.getfixturevalue(persona)
    key = apikey_issue(user=user).plaintext
    extra = {"fileUrl": VALID_ZIP} if endpoint is UPLOAD else {}

    def call():
        return endpoint.call(
            client, api_key=key, user_id=user.public_id, project_id=showroom.public_id, **extra
        )

    assert call().status_code == 200
    deactivate(user)
    response = call()
    assert (response.status_code, response.json()) == (401, INVALID_KEY)


@pytest.mark.parametrize("persona", ["owner", "full_member", "readonly_member"])
def test_internal_verify_answers_invalid_key_for_a_deactivated_user_in_one_query(
    request, client, persona, showroom, full_member, readonly_member
):
    user = request.getfixturevalue(persona)
    token = service_token_create(name="pipeline").plaintext
    body = {"apiKey": apikey_issue(user=user).plaintext, "userId": user.public_id}
    body["projectId"] = showroom.public_id
    assert verify(client, token, **body).status_code == 200

    deactivate(user)
    with CaptureQueriesContext(connection) as queries:
        response = verify(client, token, **body)
    assert (response.status_code, response.json()) == (401, INVALID_KEY)
    assert len(queries) == 1


def test_reactivating_the_user_restores_the_same_key(client, owner, showroom):
    key = apikey_issue(user=owner).plaintext
    credentials = {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}
    deactivate(owner)
    assert DETAIL.call(client, **credentials).status_code == 401
    User.objects.filter(pk=owner.pk).update(is_active=True)
    assert DETAIL.call(client, **credentials).status_code == 200


@pytest.mark.parametrize("path", ["/", "/keys/request/", "/projects/"])
def test_a_deactivated_users_existing_session_no_longer_reaches_the_dashboard(
    client, owner, showroom, path
):
    client.force_login(owner)
    assert client.get(path).status_code == 200
    deactivate(owner)

    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post("/keys/request/", {"nonce": "anything"}).status_code == 302
    assert not owner.api_keys.exists()
