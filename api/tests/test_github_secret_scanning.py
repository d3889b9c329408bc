"""POST /pixelStripeApi/keys/github-secret-scanning: GitHub's secret scanning reports strings
matching our pattern, signed with ECDSA P-256. A local key server on 127.0.0.1 publishes the
keys (real HTTP), and a locally generated key pair signs (real ECDSA)."""

from __future__ import annotations

import json
import time

import pytest
from django.core import mail

from apikeys import crypto
from apikeys.leaks.github_scanning import github_keys_forget
from apikeys.models import ApiKey, KeyEvent
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import VerifyFailure, apikey_verify
from outbox.models import OutboxEmail
from tests.support.github import FakeGithubKeys, SigningKey

pytestmark = pytest.mark.django_db

URL = "/pixelStripeApi/keys/github-secret-scanning"
FOUND_AT = "https://github.com/octocat/Hello-World/blob/12345600b9/foo/bar.txt"


@pytest.fixture
def github(settings):
    server = FakeGithubKeys().start()
    settings.KEYSERVICE_GITHUB_KEYS_URL = server.url
    github_keys_forget()
    yield server
    github_keys_forget()
    server.stop()


def match(token: str, **fields) -> dict:
    return {"token": token, "type": "keyservice_api_key", "url": FOUND_AT, "source": "content"}


def post(client, body: bytes, *, key: SigningKey | None, signature: str | None = None, **extra):
    headers = {}
    if key is not None:
        headers["HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER"] = key.identifier
        headers["HTTP_GITHUB_PUBLIC_KEY_SIGNATURE"] = signature or key.sign(body)
    return client.post(URL, body, content_type="application/json", secure=True, **headers, **extra)


def signed(client, github, matches) -> object:
    body = json.dumps(matches).encode()
    return post(client, body, key=github.current)


def side_effects() -> tuple[int, int, int]:
    return (
        ApiKey.objects.filter(revoked_at__isnull=False).count(),
        KeyEvent.objects.filter(kind=KeyEvent.Kind.LEAK_REVOKED).count(),
        OutboxEmail.objects.filter(kind=ApiKey.EmailKind.LEAK_NOTICE).count(),
    )


def test_an_active_key_github_found_is_revoked_and_answered_true_positive(
    client, github, owner, django_capture_on_commit_callbacks
):
    issued = apikey_issue(user=owner)
    stranger = crypto.generate_key()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed(client, github, [match(issued.plaintext), match(stranger)])

    assert response.status_code == 200
    assert response.json() == [
        {
            "token_raw": issued.plaintext,
            "token_type": "keyservice_api_key",
            "label": "true_positive",
        },
        {"token_raw": stranger, "token_type": "keyservice_api_key", "label": "false_positive"},
    ]
    assert apikey_verify(key=issued.plaintext, user_public_id=owner.public_id).failure is (
        VerifyFailure.INVALID_KEY
    )
    event = KeyEvent.objects.get(kind=KeyEvent.Kind.LEAK_REVOKED)
    assert (event.key_id, event.user) == (issued.api_key.pk, owner)
    assert event.detail == f"reported leaked by GitHub secret scanning: (content) {FOUND_AT}"
    [notice] = [m for m in mail.outbox if "revoked" in m.subject]
    assert notice.to == [owner.email]
    assert issued.plaintext not in notice.body


def test_retired_unknown_and_malformed_strings_are_false_positives(client, github, owner):
    retired = apikey_issue(user=owner)
    apikey_issue(user=owner)  # rotates: the first is retired
    valid = crypto.generate_key()
    strings = [retired.plaintext, valid, valid[:-1] + ("A" if valid[-1] != "A" else "B"), "x"]

    response = signed(client, github, [match(s) for s in strings])

    assert response.status_code == 200
    assert [e["label"] for e in response.json()] == ["false_positive"] * 4
    assert [e["token_raw"] for e in response.json()] == strings
    assert side_effects()[1:] == (0, 0)


def test_a_token_reported_twice_is_revoked_once_and_answered_once(client, github, owner):
    issued = apikey_issue(user=owner)

    response = signed(client, github, [match(issued.plaintext), match(issued.plaintext)])

    assert response.status_code == 200
    assert [e["label"] for e in response.json()] == ["true_positive"]
    assert side_effects()[1:] == (1, 1)


def test_keys_are_fetched_once_not_per_request(client, github, owner):
    for _ in range(5):
        assert signed(client, github, [match(crypto.generate_key())]).status_code == 200

    assert github.fetches == 1


def test_a_new_key_at_github_is_fetched_when_a_report_names_its_unknown_id(
    client, github, owner, settings
):
    settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = 1
    assert signed(client, github, [match("warm-up")]).status_code == 200
    time.sleep(1.1)  # the warm-up's fetch took the refresh interval
    issued = apikey_issue(user=owner)
    github.rotate()

    response = signed(client, github, [match(issued.plaintext)])

    assert response.status_code == 200
    assert response.json()[0]["label"] == "true_positive"
    assert github.fetches == 2


def test_random_key_ids_cannot_make_us_fetch_per_request(client, github, owner, settings):
    settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = 3
    assert signed(client, github, [match("warm-up")]).status_code == 200
    time.sleep(3.1)  # the warm-up's fetch took the refresh interval
    body = json.dumps([match(apikey_issue(user=owner).plaintext)]).encode()

    answers = [post(client, body, key=SigningKey.generate()).status_code for _ in range(20)]

    assert answers == [401] * 20
    assert github.fetches == 2  # the warm-up, then one refresh for the first unknown id
    assert side_effects() == (0, 0, 0)


def test_a_tampered_body_is_refused_with_no_side_effect(client, github, owner):
    issued = apikey_issue(user=owner)
    body = json.dumps([match(issued.plaintext)]).encode()
    signature = github.current.sign(body)
    tampered = body.replace(b'"content"', b'"commit"')

    response = post(client, tampered, key=github.current, signature=signature)

    assert (response.status_code, response.json()) == (
        401,
        {"message": "Unauthorized: Invalid signature"},
    )
    assert side_effects() == (0, 0, 0)


def test_a_signature_by_another_key_under_githubs_key_id_is_refused(client, github, owner):
    body = json.dumps([match(apikey_issue(user=owner).plaintext)]).encode()
    forged = SigningKey.generate().sign(body)

    response = post(client, body, key=github.current, signature=forged)

    assert (response.status_code, response.json()) == (
        401,
        {"message": "Unauthorized: Invalid signature"},
    )
    assert side_effects() == (0, 0, 0)


@pytest.mark.parametrize(
    "missing", ["HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER", "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE"]
)
def test_a_report_without_both_headers_is_refused_before_any_work(client, github, owner, missing):
    body = json.dumps([match(apikey_issue(user=owner).plaintext)]).encode()
    headers = {
        "HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER": github.current.identifier,
        "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": github.current.sign(body),
    }
    del headers[missing]

    response = client.post(URL, body, content_type="application/json", secure=True, **headers)

    assert (response.status_code, response.json()) == (
        401,
        {"message": "Unauthorized: Missing signature"},
    )
    assert github.fetches == 0
    assert side_effects() == (0, 0, 0)


@pytest.mark.parametrize("signature", ["not base64!", "AAAA", "=" * 8, "A" * 400])
def test_a_garbled_signature_is_an_invalid_signature(client, github, owner, signature):
    body = json.dumps([match(apikey_issue(user=owner).plaintext)]).encode()

    response = post(client, body, key=github.current, signature=signature)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized: Invalid signature"}
    assert side_effects() == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"token": "x"}, "Invalid body: expected a list of 1 to 1000 matches"),
        ([], "Invalid body: expected a list of 1 to 1000 matches"),
        (
            [{"token": f"t{i}"} for i in range(1001)],
            "Invalid body: expected a list of 1 to 1000 matches",
        ),
        (["spx_"], "Invalid field: token"),
        ([{"type": "keyservice_api_key"}], "Invalid field: token"),
        ([{"token": "x", "url": 5}], "Invalid field: url"),
    ],
    ids=["object", "empty", "too-many", "string-entry", "no-token", "url-not-string"],
)
def test_a_signed_body_of_the_wrong_shape_is_a_400_with_no_side_effect(
    client, github, owner, settings, body, message
):
    settings.KEYSERVICE_API_MAX_BODY_BYTES = 1 << 20
    issued = apikey_issue(user=owner)
    if isinstance(body, list) and len(body) > 1:
        body[0] = {"token": issued.plaintext}  # an active key in it stays active

    response = signed(client, github, body)

    assert (response.status_code, response.json()) == (400, {"message": message})
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is None
    assert side_effects() == (0, 0, 0)


def test_a_signed_body_that_is_not_json_is_malformed(client, github):
    response = post(client, b"[{not json", key=github.current)

    assert (response.status_code, response.json()) == (400, {"message": "Malformed JSON body"})


def test_when_githubs_keys_cannot_be_fetched_the_report_is_answered_503(client, github, owner):
    github.status = 500
    body = json.dumps([match(apikey_issue(user=owner).plaintext)]).encode()

    response = post(client, body, key=github.current)

    assert response.status_code == 503
    assert response.json() == {"message": "Signature keys unavailable, try again later"}
    assert side_effects() == (0, 0, 0)


def test_the_endpoint_is_https_only_like_the_rest_of_the_public_api(client, github, settings):
    settings.KEYSERVICE_ALLOW_HTTP = False
    body = json.dumps([match("x")]).encode()

    response = client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER=github.current.identifier,
        HTTP_GITHUB_PUBLIC_KEY_SIGNATURE=github.current.sign(body),
    )

    assert (response.status_code, response.json()) == (403, {"message": "HTTPS required"})
