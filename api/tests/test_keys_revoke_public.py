"""POST /pixelStripeApi/keys/revoke: anyone reports strings they found; active keys among them
are revoked (audit event, owner notice) and the answer is the same whatever the strings were.

Without a broker (the suite's default) the task runs in-process, inside the request; the
oracle tests use a real Redis broker, where the request only digests the strings and leaves
them in Redis for the drain (apikeys.leaks.reports), and a real worker revokes."""

from __future__ import annotations

import json
import random
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys import crypto
from apikeys.models import ApiKey, KeyEvent
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import VerifyFailure, apikey_verify
from outbox.models import OutboxEmail
from tests.support.services import use_broker
from tests.support.waiting import wait_until

URL = "/pixelStripeApi/keys/revoke"


def report(client, strings, *, address="203.0.113.7", **extra):
    body = json.dumps({"keys": strings})
    return client.post(
        URL, body, content_type="application/json", secure=True, REMOTE_ADDR=address, **extra
    )


def kinds(owner) -> dict[str, str]:
    """One string of each kind: an active key, a retired key, unknown and malformed strings."""
    retired = apikey_issue(user=owner).plaintext
    active = apikey_issue(user=owner).plaintext  # rotates: `retired` is revoked
    valid = crypto.generate_key()
    return {
        "active": active,
        "retired": retired,
        "unknown": valid,
        "bad checksum": valid[:-1] + ("A" if valid[-1] != "A" else "B"),
        "malformed": "spx_" + "x" * 10,
        "random": "hello world",
    }


def headers(response) -> list[tuple[str, str]]:
    """Every header but the request's own random id (core.request_id)."""
    return sorted((k, v) for k, v in response.headers.items() if k != "X-Request-ID")


def unthrottled(settings) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "key_reports_client": "100000/60s",
            "key_reports_global": "100000/60s",
        },
    }


def revoked_as_leaked() -> int:
    return KeyEvent.objects.filter(kind=KeyEvent.Kind.LEAK_REVOKED).count()


def leak_notices() -> int:
    return OutboxEmail.objects.filter(kind=ApiKey.EmailKind.LEAK_NOTICE).count()


@pytest.mark.django_db
def test_a_reported_active_key_is_revoked_audited_and_its_owner_notified(
    client, owner, outsider, django_capture_on_commit_callbacks
):
    issued = apikey_issue(user=owner)
    other = apikey_issue(user=outsider)

    with django_capture_on_commit_callbacks(execute=True):
        response = report(client, [issued.plaintext, crypto.generate_key()])

    assert (response.status_code, response.json()) == (202, {"received": 2})
    assert apikey_verify(key=issued.plaintext, user_public_id=owner.public_id).failure is (
        VerifyFailure.INVALID_KEY
    )
    assert apikey_verify(key=other.plaintext, user_public_id=outsider.public_id).ok
    event = KeyEvent.objects.get(kind=KeyEvent.Kind.LEAK_REVOKED)
    assert (event.key_id, event.user) == (issued.api_key.pk, owner)
    assert event.detail == (
        "reported leaked by the public revocation endpoint (client 203.0.113.7)"
    )
    notice = OutboxEmail.objects.get(kind=ApiKey.EmailKind.LEAK_NOTICE)
    assert (notice.recipient, notice.subject_id) == (owner.email, issued.api_key.pk)


@pytest.mark.django_db
def test_every_kind_of_string_gets_the_same_status_body_and_headers(client, owner):
    strings = kinds(owner)

    responses = {name: report(client, [value]) for name, value in strings.items()}

    first = responses["active"]
    assert (first.status_code, first.json()) == (202, {"received": 1})
    for name, response in responses.items():
        assert response.status_code == first.status_code, name
        assert response.content == first.content, name
        assert headers(response) == headers(first), name
    assert revoked_as_leaked() == 1  # the active one was revoked all the same


@pytest.mark.django_db
def test_the_answer_counts_the_strings_sent_not_the_keys_found(client, owner):
    strings = list(kinds(owner).values())

    response = report(client, strings + strings)

    assert (response.status_code, response.json()) == (202, {"received": 2 * len(strings)})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"keys": []},
        {"keys": ["x"] * 101},
        {"keys": ["x" * 257]},
        {"keys": [1]},
        {"keys": "spx_"},
        {},
        ["spx_"],
    ],
    ids=["empty", "101-strings", "too-long", "not-string", "not-list", "no-keys", "list-body"],
)
def test_a_report_of_the_wrong_shape_is_a_400_and_revokes_nothing(client, owner, body):
    issued = apikey_issue(user=owner)
    if isinstance(body, dict) and isinstance(body.get("keys"), list) and body["keys"]:
        body = {"keys": [issued.plaintext, *body["keys"]]}

    response = client.post(URL, json.dumps(body), content_type="application/json", secure=True)

    assert (response.status_code, response.json()) == (400, {"message": "Invalid field: keys"})
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is None
    assert revoked_as_leaked() == 0


@pytest.mark.django_db
def test_a_body_over_the_size_limit_is_refused_unread(client, owner, settings):
    settings.KEYSERVICE_API_MAX_BODY_BYTES = 1024
    issued = apikey_issue(user=owner)

    response = report(client, [issued.plaintext] + ["y" * 200] * 10)

    assert (response.status_code, response.json()) == (
        413,
        {"message": "Request body too large"},
    )
    assert revoked_as_leaked() == 0


@pytest.mark.django_db
def test_reports_are_limited_per_client_address_whatever_they_carry(client, owner, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "key_reports_client": "3/60s",
        },
    }
    strings = list(kinds(owner).values())

    answers = [report(client, [s]) for s in strings[:4]]
    elsewhere = report(client, [strings[4]], address="198.51.100.9")

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[3].json() == {"message": "Rate limit exceeded. Try again in 2 minutes."}
    assert 1 <= int(answers[3]["Retry-After"]) <= 60
    assert elsewhere.status_code == 202


@pytest.mark.django_db
def test_the_endpoint_is_https_only(client, settings):
    settings.KEYSERVICE_ALLOW_HTTP = False
    response = client.post(URL, json.dumps({"keys": ["x"]}), content_type="application/json")
    assert (response.status_code, response.json()) == (403, {"message": "HTTPS required"})


# --- with a real broker: what the request itself does -----------------------------------


def test_the_request_makes_no_database_query_for_any_kind_of_string(client, owner, celery_broker):
    """The proof by construction of the timing class: the request digests every string and
    leaves them in Redis (at most one message published); it never asks the database, so
    nothing it does (or how long it takes) can depend on whether a string is a key."""
    strings = kinds(owner)

    for name, value in strings.items():
        with CaptureQueriesContext(connection) as queries:
            response = report(client, [value, *strings.values()])
        assert response.status_code == 202, name
        assert queries.captured_queries == [], name
    assert revoked_as_leaked() == 0  # no worker yet: nothing revoked inside any request


def test_answer_times_do_not_tell_an_active_key_from_other_strings(
    client, owner, celery_broker, settings
):
    """Medians over many interleaved calls, each kind alone in its report, with a generous
    bound (a shared CI machine): an active key costs what any other string costs."""
    unthrottled(settings)
    strings = kinds(owner)
    times: dict[str, list[float]] = {name: [] for name in strings}
    for value in strings.values():  # warm up every path once
        report(client, [value])
    order = list(strings.items())
    for _ in range(40):
        random.shuffle(order)  # no kind always runs right after another
        for name, value in order:
            started = time.perf_counter()
            response = report(client, [value])
            times[name].append(time.perf_counter() - started)
            assert response.status_code == 202
    medians = {name: statistics.median(t) for name, t in times.items()}

    fastest = min(medians.values())
    for median in medians.values():
        assert median - fastest < max(0.003, 0.75 * fastest), medians


def test_what_the_broker_holds_carries_digests_never_the_reported_strings(
    client, owner, celery_broker, settings
):
    import redis

    strings = kinds(owner)
    report(client, list(strings.values()))

    broker = redis.Redis.from_url(celery_broker)
    raw = b"".join(
        b"".join(broker.lrange(key, 0, -1)) if broker.type(key) == b"list" else b""
        for key in broker.keys(f"{settings.KEYSERVICE_LEAK_REPORTS_QUEUE}*")
    )
    assert raw
    for value in strings.values():
        assert value.encode() not in raw
    assert crypto.digest(strings["active"]).encode() in raw


def test_a_broker_that_does_not_take_the_report_is_a_503_for_every_kind(
    client, owner, transactional_db
):
    strings = kinds(owner)
    use_broker("redis://127.0.0.1:9/0")  # nothing listens on the discard port
    try:
        responses = [report(client, [value]) for value in strings.values()]
    finally:
        use_broker(None)

    for response in responses:
        assert (response.status_code, response.json()) == (
            503,
            {"message": "Service unavailable, try again later"},
        )


def test_a_real_worker_revokes_the_reported_key_and_emails_its_owner(
    client, owner, celery_broker, broker_queue, start_worker, smtp, settings
):
    strings = kinds(owner)
    active = ApiKey.objects.get(user=owner, revoked_at__isnull=True)
    start_worker(celery_broker, broker_queue)  # the default queue: emails
    start_worker(celery_broker, settings.KEYSERVICE_LEAK_REPORTS_QUEUE)  # the reports' drain
    # The active key's email; the retired key was replaced before its email went out (moot).
    assert len(smtp.wait_for_messages(1)) == 1

    response = report(client, list(strings.values()))

    assert (response.status_code, response.json()) == (202, {"received": len(strings)})
    assert wait_until(lambda: ApiKey.objects.get(pk=active.pk).revoked_at is not None)
    messages = smtp.wait_for_messages(2)
    assert len(messages) == 2
    notice = messages[-1]
    assert notice["To"] == owner.email
    assert "revoked" in notice["Subject"]
    assert strings["active"] not in notice.as_string()
    assert revoked_as_leaked() == 1
    assert leak_notices() == 1
