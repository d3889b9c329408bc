"""The outbound primitive: connects to exactly the checked address (http and https), within
one total deadline, and refuses without revealing what exists inside."""

from __future__ import annotations

import json
import socket
import time

import pytest

from apikeys.services import apikey_issue
from core import outbound
from core.outbound import PUBLIC_ONLY
from core.outbound import address_guard as ssrf
from core.outbound.tests.conftest import PUBLIC_NAME
from core.outbound.tests.servers import TlsReceiver, TrickleReceiver, tls_files
from tests.support.api import TEST_WEBHOOK
from tests.support.receiver import WebhookReceiver
from tests.support.services import free_port
from tests.support.webhooks import webhook_set
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_fire, webhook_test_send

NOT_PUBLIC = "Refused: the host does not resolve to a public address"


def post(url: str, **options):
    options = {"timeout": 5, "policy": PUBLIC_ONLY, **options}
    return outbound.post(url=url, body=b'{"event":"webhook.test"}', headers={}, **options)


# --- DNS rebinding ----------------------------------------------------------------------------


@pytest.fixture
def twin_receivers():
    """A "public" receiver on 127.0.0.2 and an internal one on 127.0.0.1, on the same port."""
    public = WebhookReceiver(host="127.0.0.2")
    internal = WebhookReceiver(host="127.0.0.1", port=public.port)
    public.start()
    internal.start()
    yield public, internal
    public.stop()
    internal.stop()


def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_connected_to(
    twin_receivers, resolver, monkeypatch
):
    public, internal = twin_receivers
    real = ssrf.address_is_forbidden
    monkeypatch.setattr(ssrf, "address_is_forbidden", lambda a: a != "127.0.0.2" and real(a))
    name = "rebind.example.test"
    resolver.answers[name] = [["127.0.0.2"], ["127.0.0.1"]]  # first lookup public, then not

    first = post(f"http://{name}:{public.port}/hook")

    assert first.kind == "ok", first.error
    assert resolver.lookups == [name]  # looked up once; the connection used that answer
    [request] = public.requests
    assert request.headers["host"] == f"{name}:{public.port}"
    assert internal.requests == []
    # The next attempt looks up again, gets loopback, and is refused before connecting.
    second = post(f"http://{name}:{public.port}/hook")
    assert (second.kind, second.error) == ("unresolved", NOT_PUBLIC)
    assert internal.requests == [] and len(public.requests) == 1


def test_every_address_of_a_name_must_be_public(receiver, resolver, monkeypatch):
    real = ssrf.address_is_forbidden
    monkeypatch.setattr(ssrf, "address_is_forbidden", lambda a: a != "127.0.0.2" and real(a))
    resolver.answers["mixed.example.test"] = [["127.0.0.2", "127.0.0.1"]]
    result = post(f"http://mixed.example.test:{receiver.port}/hook")
    assert (result.kind, result.error) == ("unresolved", NOT_PUBLIC)
    assert receiver.requests == []


# --- https: connect to the checked IP, SNI and certificate check on the name ------------------


def test_https_connects_to_the_checked_ip_with_sni_host_and_certificate_on_the_name(
    tmp_path, public_loopback
):
    ca, cert, key = tls_files(tmp_path, PUBLIC_NAME)
    with TlsReceiver(cert, key) as server:
        result = post(f"https://{PUBLIC_NAME}:{server.port}/hook?x=1", ca_certs=str(ca))

    assert result.kind == "ok", result.error
    assert public_loopback.lookups == [PUBLIC_NAME]  # our one lookup; urllib3 got the IP
    assert server.server_names == [PUBLIC_NAME]
    [(path, headers, local)] = server.requests
    assert path == "/hook?x=1"
    assert headers["host"] == f"{PUBLIC_NAME}:{server.port}"
    assert local == ("127.0.0.1", server.port)


def test_https_refuses_a_certificate_for_another_name(tmp_path, public_loopback):
    ca, cert, key = tls_files(tmp_path, "other.example.test")
    with TlsReceiver(cert, key) as server:
        result = post(f"https://{PUBLIC_NAME}:{server.port}/hook", ca_certs=str(ca))
    assert result.kind == "connection"
    assert result.error == "Could not connect: TLS certificate verification failed"
    assert server.requests == []


def test_https_refuses_a_certificate_from_an_unknown_ca(tmp_path, public_loopback):
    _, cert, key = tls_files(tmp_path, PUBLIC_NAME)
    with TlsReceiver(cert, key) as server:
        result = post(f"https://{PUBLIC_NAME}:{server.port}/hook")  # certifi: not our CA
    assert result.error == "Could not connect: TLS certificate verification failed"
    assert server.requests == []


# --- One total deadline -------------------------------------------------------------------------


def test_a_receiver_trickling_one_byte_at_a_time_is_cut_off_at_the_deadline(public_loopback):
    with TrickleReceiver(interval=0.1) as slow:
        started = time.monotonic()
        result = post(f"http://{PUBLIC_NAME}:{slow.port}/hook", timeout=1.0)
        took = time.monotonic() - started
        assert slow.closed.wait(5)  # the socket really was shut down

    assert result.kind == "timeout"  # sent, then no (whole) answer
    assert result.error == "No answer: timed out after 1 s"
    assert 0.9 <= took < 1.5


def test_the_test_webhook_returns_within_the_deadline_on_a_trickling_receiver(
    settings, showroom, public_loopback
):
    settings.KEYSERVICE_WEBHOOK_TIMEOUT = 1.0
    with TrickleReceiver(interval=0.2) as slow:
        webhook_set(showroom, url=f"http://{PUBLIC_NAME}:{slow.port}/hook")
        started = time.monotonic()
        result = webhook_test_send(project=showroom)
        took = time.monotonic() - started
    assert (result.success, result.status_code) == (False, 0)
    assert took < 1.5


def test_a_slow_name_lookup_counts_against_the_deadline(resolver, monkeypatch):
    resolver.answers["slow.example.test"] = [["127.0.0.1"]]  # no real DNS query
    real = resolver.__call__

    def slow(host, *args, **kwargs):
        if host == "slow.example.test":
            time.sleep(3)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    started = time.monotonic()
    result = post("http://slow.example.test/hook", timeout=0.5)
    assert time.monotonic() - started < 1.0
    assert (result.kind, result.error) == ("unresolved", NOT_PUBLIC)


# --- Refusals reveal nothing --------------------------------------------------------------------


@pytest.fixture
def names(resolver):
    resolver.answers["loopback.example.test"] = [["127.0.0.1"]]
    resolver.answers["private.example.test"] = [["10.1.2.3"]]
    resolver.answers["metadata.example.test"] = [["169.254.169.254"]]
    resolver.fail.add("nonexistent.example.test")
    return ["loopback", "private", "metadata", "nonexistent"]


def test_a_private_address_and_a_name_that_does_not_resolve_are_refused_alike(
    names, showroom, receiver, settings
):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    # More test sends than one project's budget: the budget is not what this test is about.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "test_webhook": None},
    }
    outcomes = set()
    for name in names:
        for port in (receiver.port, free_port()):  # an open and a closed port
            webhook_set(showroom, url=f"http://{name}.example.test:{port}/hook")
            result = webhook_test_send(project=showroom)
            outcomes.add((result.success, result.message, result.status_code))
    assert outcomes == {(False, NOT_PUBLIC, 0)}
    assert receiver.requests == []


def test_the_api_answers_alike_for_a_private_address_and_a_missing_name(
    names, client, owner, showroom
):
    key = apikey_issue(user=owner).plaintext
    answers = []
    for name in names:
        webhook_set(showroom, url=f"http://{name}.example.test/hook")
        response = TEST_WEBHOOK.call(
            client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id
        )
        answers.append((response.status_code, json.loads(response.content)))
    assert answers == [(200, {"success": False, "message": NOT_PUBLIC, "statusCode": 0})] * 4


def test_a_fired_delivery_is_treated_alike_for_a_private_address_and_a_missing_name(
    names, showroom, django_capture_on_commit_callbacks
):
    webhook_set(showroom, events=["build.approved"])
    states = set()
    for name in names:
        webhook_set(showroom, url=f"http://{name}.example.test/hook")
        with django_capture_on_commit_callbacks(execute=True):
            delivery = webhook_fire(project=showroom, event="build.approved")
        delivery.refresh_from_db()
        states.add((delivery.state, delivery.attempts, delivery.last_error))
    assert states == {("pending", 1, NOT_PUBLIC)}  # both retried later, same record
    assert WebhookDelivery.objects.count() == 4
