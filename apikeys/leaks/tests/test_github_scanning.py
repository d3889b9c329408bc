"""apikeys.leaks.github_scanning: GitHub's signing keys fetched over real HTTP from a local server,
kept in the process and in a real Redis cache, refreshed on an unknown key id within limits."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import caches

from apikeys.leaks.github_scanning import (
    MAX_KEYS_BYTES,
    KeysUnavailable,
    github_keys_forget,
    github_signature_verify,
)
from tests.support.github import FakeGithubKeys, SigningKey

BODY = b'[{"token":"spx_x","type":"keyservice_api_key","url":"https://github.com/a/b"}]'


@pytest.fixture
def github(settings):
    server = FakeGithubKeys().start()
    settings.KEYSERVICE_GITHUB_KEYS_URL = server.url
    github_keys_forget()
    yield server
    github_keys_forget()
    server.stop()


@pytest.fixture
def shared_cache(redis_cache):
    """A real Redis cache (core/tests/conftest.py), emptied: what every process shares."""
    caches["default"].clear()
    return redis_cache


def verify(key: SigningKey, body: bytes = BODY, signature: str | None = None) -> bool:
    return github_signature_verify(
        body=body, key_id=key.identifier, signature=signature or key.sign(body)
    )


def another_process() -> None:
    """A second web worker: nothing of this process's copy, the same cache."""
    github_keys_forget()


def test_a_second_process_takes_the_keys_from_the_shared_cache_without_fetching(
    github, shared_cache
):
    assert verify(github.current)
    another_process()

    assert verify(github.current)
    assert github.fetches == 1


def test_one_refresh_for_an_unknown_key_id_across_processes_per_interval(
    github, shared_cache, settings
):
    settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = 1
    assert verify(github.current)
    time.sleep(1.1)
    assert not verify(SigningKey.generate())  # refreshes once
    another_process()

    assert not verify(SigningKey.generate())  # the shared window is taken: no fetch
    assert github.fetches == 2


def test_an_unknown_key_id_right_after_a_fetch_does_not_fetch_again(github, db):
    assert verify(github.current)

    assert not verify(SigningKey.generate())  # the list is as fresh as a refetch would be
    assert github.fetches == 1


def test_a_refresh_interval_later_an_unknown_id_fetches_again(github, settings, db):
    settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = 1
    assert verify(github.current)
    time.sleep(1.1)
    assert not verify(SigningKey.generate())  # refreshes
    assert not verify(SigningKey.generate())  # within the interval: does not
    time.sleep(1.1)

    rotated = github.rotate()
    assert verify(rotated)
    assert github.fetches == 3


def test_known_keys_keep_working_when_github_is_down(github, settings, db):
    settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = 1
    assert verify(github.current)
    github.status = 503
    time.sleep(1.1)

    assert not verify(SigningKey.generate())  # its refresh fails: the old keys are kept
    assert verify(github.current)
    assert github.fetches == 2


def test_no_keys_at_all_is_keys_unavailable_and_not_retried_per_request(github, db):
    github.status = 500

    for _ in range(3):
        with pytest.raises(KeysUnavailable):
            verify(github.current)
    assert github.fetches == 1


def test_an_empty_key_list_is_fetched_once_per_interval_across_processes(
    github, shared_cache, settings
):
    settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = 1
    key = github.current
    github.published = []  # GitHub answers 200 with no key at all

    for _ in range(3):
        for _ in range(3):
            with pytest.raises(KeysUnavailable):
                verify(key)
        another_process()
    assert github.fetches == 1
    time.sleep(1.1)

    with pytest.raises(KeysUnavailable):
        verify(key)
    assert github.fetches == 2


def test_expired_keys_refetched_empty_stay_in_use_and_fetch_once_per_interval(
    github, shared_cache, settings
):
    settings.KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = 1
    settings.KEYSERVICE_GITHUB_KEYS_CACHE_SECONDS = 1
    key = github.current
    assert verify(key)
    github.published = []
    time.sleep(1.1)  # this process's copy and the shared one expire

    for _ in range(5):
        assert verify(key)  # the known keys are kept
    assert github.fetches == 2


def test_published_keys_that_are_not_ecdsa_p256_are_ignored(github, db):
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    p384_pem = p384.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    github.extra_keys = [
        {"key_identifier": "rsa", "key": rsa_pem, "is_current": False},
        {"key_identifier": "p384", "key": p384_pem, "is_current": False},
        {"key_identifier": "garbage", "key": "not a key", "is_current": False},
        {"key_identifier": 5, "key": "x"},
    ]

    assert verify(github.current)
    assert not github_signature_verify(body=BODY, key_id="rsa", signature="AAAA")
    assert not github_signature_verify(body=BODY, key_id="p384", signature="AAAA")


def test_an_answer_over_the_size_limit_is_not_read(github, db):
    github.padding = MAX_KEYS_BYTES

    with pytest.raises(KeysUnavailable):
        verify(github.current)


def test_a_redirect_is_not_followed(github, db):
    github.status = 302

    with pytest.raises(KeysUnavailable):
        verify(github.current)
    assert github.fetches == 1


@pytest.mark.parametrize("key_id", ["", " ", "a" * 129, "id with spaces", "é"])
def test_odd_key_ids_are_refused_without_any_fetch(github, key_id):
    assert not github_signature_verify(body=BODY, key_id=key_id, signature="AAAA")
    assert github.fetches == 0
