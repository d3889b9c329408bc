"""POST /internal/v1/keys/revoke-leaked: a secret scanner reports exposed strings; active keys
among them are revoked, audited and their owners told, and the answer reveals nothing else."""

import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from apikeys import crypto
from apikeys.models import ApiKey, KeyEvent
from apikeys.service_tokens import service_token_create, service_token_revoke
from apikeys.services import apikey_issue
from apikeys.tokens import token_generate
from apikeys.verifier.credentials import VerifyFailure, apikey_verify
from outbox.models import OutboxEmail

pytestmark = pytest.mark.django_db

URL = "/internal/v1/keys/revoke-leaked"
NOTHING = {"revoked": [], "count": 0}


@pytest.fixture
def scanner(db) -> str:
    return service_token_create(name="secret-scanner", scopes=["revoke-leaked"]).plaintext


def report(client, token, body, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL, json.dumps(body), content_type="application/json", **headers, **extra)


def leak_notices() -> int:
    return OutboxEmail.objects.filter(kind=ApiKey.EmailKind.LEAK_NOTICE).count()


def test_a_reported_active_key_is_revoked_and_listed(client, scanner, owner):
    issued = apikey_issue(user=owner)

    response = report(client, scanner, {"keys": [issued.plaintext]})

    assert response.status_code == 200
    assert response.json() == {"revoked": [issued.plaintext], "count": 1}
    assert apikey_verify(key=issued.plaintext, user_public_id=owner.public_id).failure is (
        VerifyFailure.INVALID_KEY
    )
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None
    event = KeyEvent.objects.get(kind=KeyEvent.Kind.LEAK_REVOKED)
    assert (event.key, event.user, event.actor) == (issued.api_key, owner, None)
    assert event.detail == "reported leaked by secret-scanner"


def test_the_owner_is_emailed_a_notice_naming_the_hint_but_never_the_key(
    client, scanner, owner, django_capture_on_commit_callbacks
):
    issued = apikey_issue(user=owner)  # its own email stays queued (test transaction)

    with django_capture_on_commit_callbacks(execute=True):
        response = report(client, scanner, {"keys": [issued.plaintext]})

    assert response.status_code == 200
    [email] = mail.outbox
    assert email.to == [owner.email]
    assert "revoked" in email.subject
    assert issued.api_key.hint in email.body
    assert issued.plaintext not in email.body
    assert issued.plaintext[4:-6] not in email.body
    assert "Request API Key" in email.body
    row = OutboxEmail.objects.get(kind=ApiKey.EmailKind.LEAK_NOTICE)
    assert (row.subject_id, row.recipient, row.state) == (issued.api_key.pk, owner.email, "sent")
    assert KeyEvent.objects.filter(
        key=issued.api_key, kind=KeyEvent.Kind.EMAILED, detail="leak notice"
    ).exists()


def test_unknown_malformed_and_already_revoked_strings_get_the_same_answer(client, scanner, owner):
    revoked = apikey_issue(user=owner)
    apikey_issue(user=owner)  # revokes the first
    revoked.api_key.refresh_from_db()
    revoked_at = revoked.api_key.revoked_at
    valid = crypto.generate_key()
    bad_checksum = valid[:-1] + ("A" if valid[-1] != "A" else "B")
    strings = [revoked.plaintext, crypto.generate_key(), bad_checksum, valid[:20], "", "hello"]

    responses = [report(client, scanner, {"keys": [s]}) for s in strings]
    responses.append(report(client, scanner, {"keys": strings}))

    for response in responses:
        assert response.status_code == 200
        assert response.json() == NOTHING
        assert response.content == responses[0].content
        assert response.headers["Content-Type"] == responses[0].headers["Content-Type"]
    assert not KeyEvent.objects.filter(kind=KeyEvent.Kind.LEAK_REVOKED).exists()
    assert leak_notices() == 0
    revoked.api_key.refresh_from_db()
    assert revoked.api_key.revoked_at == revoked_at


def test_a_report_with_unusable_text_is_a_malformed_body(client, scanner, owner):
    active = apikey_issue(user=owner)
    response = report(client, scanner, {"keys": [active.plaintext, "\ud800"]})
    assert (response.status_code, response.json()) == (400, {"message": "Malformed JSON body"})
    active.api_key.refresh_from_db()
    assert active.api_key.revoked_at is None  # nothing half-done


def test_a_mixed_report_lists_only_the_active_keys_once_each_in_order(client, scanner, owner):
    others = [User.objects.create_user(f"u{i}@example.com", "pw-user-123") for i in range(2)]
    first, second = (apikey_issue(user=user).plaintext for user in others)
    old = apikey_issue(user=owner).plaintext
    apikey_issue(user=owner)
    keys = [crypto.generate_key(), second, "spx_short", first, second, old]

    response = report(client, scanner, {"keys": keys})

    assert response.json() == {"revoked": [second, first], "count": 2}
    assert KeyEvent.objects.filter(kind=KeyEvent.Kind.LEAK_REVOKED).count() == 2
    assert leak_notices() == 2


def test_the_reported_keys_are_looked_up_in_one_query(client, scanner):
    users = [User.objects.create_user(f"u{i}@example.com", "pw-user-123") for i in range(5)]
    keys = [apikey_issue(user=user).plaintext for user in users]
    keys += [crypto.generate_key() for _ in range(20)]
    table = ApiKey._meta.db_table

    with CaptureQueriesContext(connection) as queries:
        response = report(client, scanner, {"keys": keys})

    assert response.json()["count"] == 5
    lookups = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]
    assert len(lookups) == 1
    assert " IN (" in lookups[0]


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic abc", "Bearer kst_wrong", "Bearer {unknown}", "Bearer {revoked}"],
)
def test_a_missing_wrong_or_revoked_service_token_is_a_401_and_revokes_nothing(
    client, owner, header
):
    revoked = service_token_create(name="retired")
    service_token_revoke(service_token=revoked.service_token)
    issued = apikey_issue(user=owner)
    headers = {}
    if header:
        value = header.format(unknown=token_generate(), revoked=revoked.plaintext)
        headers["HTTP_AUTHORIZATION"] = value

    response = client.post(
        URL, json.dumps({"keys": [issued.plaintext]}), content_type="application/json", **headers
    )

    assert response.status_code == 401
    assert set(response.json()) == {"message"}
    assert "service token" in response.json()["message"]
    assert ApiKey.objects.get(pk=issued.api_key.pk).is_active


def test_the_service_token_is_checked_before_the_body(client):
    assert report(client, None, {"keys": []}).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"keys": []},
        {"keys": "spx_one"},
        {"keys": [1]},
        {"keys": [None]},
        {"keys": ["spx_one", ["nested"]]},
        {"keys": ["spx_x"] * 1001},
        {"key": ["spx_one"]},
        ["spx_one"],
        "spx_one",
    ],
)
def test_a_body_without_1_to_1000_strings_is_a_400(client, scanner, body):
    response = report(client, scanner, body)
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid field: keys"}


def test_a_report_of_1000_strings_is_accepted(client, scanner):
    response = report(client, scanner, {"keys": [crypto.generate_key() for _ in range(1000)]})
    assert (response.status_code, response.json()) == (200, NOTHING)


def test_a_body_that_is_not_json_is_refused(client, scanner):
    response = client.post(
        URL, "keys=spx", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {scanner}"
    )
    assert response.status_code == 415
    assert set(response.json()) == {"message"}
