"""The internal verify API: service tokens, the public API's exact errors, one query."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys import crypto
from apikeys.models import ServiceToken
from apikeys.service_tokens import service_token_create, service_token_revoke
from apikeys.services import apikey_issue
from tests.support.api import DETAIL, UPLOAD, VALID_ZIP, internal_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(db):
    return service_token_create(name="build-pipeline").plaintext


verify = internal_verify


@pytest.mark.parametrize(
    ("persona", "access", "role"),
    [
        ("owner", "write", "OWNER"),
        ("full_member", "write", "FULL"),
        ("readonly_member", "read", "READONLY"),
    ],
)
def test_verify_answers_valid_with_the_role(
    request, client, token, persona, access, role, showroom, full_member, readonly_member
):
    user = request.getfixturevalue(persona)
    key = apikey_issue(user=user).plaintext
    response = verify(
        client,
        token,
        apiKey=key,
        userId=user.public_id,
        projectId=showroom.public_id,
        access=access,
    )
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "userId": user.public_id,
        "projectId": showroom.public_id,
        "role": role,
        "access": access,
    }


def test_verify_passes_the_public_apis_errors_through_verbatim(
    client, token, owner, readonly_member, outsider, showroom
):
    owner_key = apikey_issue(user=owner).plaintext
    ro_key = apikey_issue(user=readonly_member).plaintext
    out_key = apikey_issue(user=outsider).plaintext
    pid = showroom.public_id
    ro = {"apiKey": ro_key, "userId": readonly_member.public_id, "projectId": pid}
    cases = [
        ({"userId": owner.public_id, "projectId": pid}, 400),
        ({"apiKey": "spx_bad", "userId": owner.public_id, "projectId": pid}, 401),
        ({"apiKey": crypto.generate_key(), "userId": owner.public_id, "projectId": pid}, 401),
        ({"apiKey": owner_key, "userId": outsider.public_id, "projectId": pid}, 401),
        ({"apiKey": owner_key, "userId": owner.public_id, "projectId": "0" * 24}, 404),
        ({"apiKey": out_key, "userId": outsider.public_id, "projectId": pid}, 403),
        ({**ro, "access": "write"}, 403),
    ]
    for body, status in cases:
        internal = verify(client, token, **body)
        # the public API's answer to the same credentials on a read or write endpoint
        endpoint = UPLOAD if body.get("access") == "write" else DETAIL
        extra = {"fileUrl": VALID_ZIP} if endpoint is UPLOAD else {}
        public = endpoint.call(
            client,
            api_key=body.get("apiKey"),
            user_id=body.get("userId"),
            project_id=body.get("projectId"),
            **extra,
        )
        assert internal.status_code == status, body
        assert (internal.status_code, internal.json()) == (public.status_code, public.json())


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer kst_wrong", "Basic abc", "Bearer " + "kst_" + "a" * 43],
)
def test_a_missing_or_wrong_service_token_is_a_401(client, header, owner, showroom):
    key = apikey_issue(user=owner).plaintext
    body = {"apiKey": key, "userId": owner.public_id, "projectId": showroom.public_id}
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(
        "/internal/v1/verify", json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert set(response.json()) == {"message"}
    assert "service token" in response.json()["message"]


def test_a_revoked_service_token_is_refused_on_the_next_call(client, owner, showroom):
    issued = service_token_create(name="stats")
    key = apikey_issue(user=owner).plaintext
    body = {"apiKey": key, "userId": owner.public_id, "projectId": showroom.public_id}
    assert verify(client, issued.plaintext, **body).status_code == 200
    service_token_revoke(service_token=issued.service_token)
    assert verify(client, issued.plaintext, **body).status_code == 401


def test_an_invalid_access_value_is_named(client, token, owner, showroom):
    key = apikey_issue(user=owner).plaintext
    response = verify(
        client,
        token,
        apiKey=key,
        userId=owner.public_id,
        projectId=showroom.public_id,
        access="all",
    )
    assert (response.status_code, response.json()) == (400, {"message": "Invalid field: access"})


def test_verify_is_one_query_and_writes_nothing(client, token, full_member, showroom):
    key = apikey_issue(user=full_member).plaintext
    body = {"apiKey": key, "userId": full_member.public_id, "projectId": showroom.public_id}
    with CaptureQueriesContext(connection) as queries:
        assert verify(client, token, **body, access="write").status_code == 200
    assert len(queries) == 1
    assert queries[0]["sql"].lstrip().upper().startswith("SELECT")


def test_failures_cost_at_most_one_query_and_a_malformed_key_with_a_bad_token_none(
    client, token, owner, showroom
):
    body = {"apiKey": "spx_bad", "userId": owner.public_id, "projectId": showroom.public_id}
    with CaptureQueriesContext(connection) as queries:
        assert verify(client, token, **body).status_code == 401
    assert len(queries) == 1  # the token check
    with CaptureQueriesContext(connection) as queries:
        assert verify(client, "kst_malformed", **body).status_code == 401
    assert len(queries) == 0


def test_create_service_token_prints_the_token_once_and_stores_only_its_digest():
    out, err = io.StringIO(), io.StringIO()
    call_command("create_service_token", "billing", stdout=out, stderr=err)
    token = out.getvalue().strip()
    row = ServiceToken.objects.get(name="billing")
    assert token.startswith("kst_") and len(token) == 47
    assert token not in repr(list(ServiceToken.objects.values()))
    assert row.hint == f"kst_…{token[-4:]}"


def test_admin_creates_a_token_shows_it_once_and_never_again(admin_client):
    response = admin_client.post("/admin/apikeys/servicetoken/add/", {"name": "search"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    token = html.split('<code id="service-token">')[1].split("<")[0]
    assert token.startswith("kst_")
    row = ServiceToken.objects.get(name="search")
    change = admin_client.get(f"/admin/apikeys/servicetoken/{row.pk}/change/").content.decode()
    assert token not in change and row.hint in change
