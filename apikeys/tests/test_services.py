import re
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from apikeys import crypto
from apikeys.models import ApiKey, KeyEvent
from apikeys.revocation import apikey_revoke
from apikeys.services import apikey_decrypt, apikey_issue
from apikeys.verifier.credentials import VerifyFailure, apikey_verify
from lifecycle.events import KeyRevokeReason
from tests.support.outbox import key_emails

pytestmark = pytest.mark.django_db


def test_issuing_a_key_stores_only_ciphertext_digest_and_hint(owner):
    issued = apikey_issue(user=owner, actor=owner)
    row = ApiKey.objects.get()
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]+", row.ciphertext)
    assert row.digest == crypto.digest(issued.plaintext)
    assert row.hint == f"spx_…{issued.plaintext[-4:]}"
    assert row.kek_id == crypto.current_kek()[0]
    assert issued.plaintext not in repr(issued)
    assert apikey_decrypt(api_key=row) == issued.plaintext


def test_a_new_key_invalidates_the_previous_one_at_once(owner):
    first = apikey_issue(user=owner)
    assert apikey_verify(key=first.plaintext, user_public_id=owner.public_id).ok
    second = apikey_issue(user=owner)
    assert apikey_verify(key=first.plaintext, user_public_id=owner.public_id).failure is (
        VerifyFailure.INVALID_KEY
    )
    assert apikey_verify(key=second.plaintext, user_public_id=owner.public_id).ok
    assert ApiKey.objects.filter(user=owner, revoked_at__isnull=True).count() == 1


def test_rotation_is_recorded_in_the_audit_trail(owner):
    apikey_issue(user=owner, actor=owner)
    apikey_issue(user=owner, actor=owner)
    kinds = sorted(KeyEvent.objects.filter(user=owner).values_list("kind", flat=True))
    assert kinds == ["issued", "issued", "revoked"]


def test_each_request_queues_one_email_for_the_new_key(owner):
    issued = apikey_issue(user=owner)
    row = key_emails(issued.api_key).get()
    assert row.recipient == owner.email


def test_verify_names_the_owner_of_a_valid_key(owner):
    issued = apikey_issue(user=owner)
    result = apikey_verify(key=issued.plaintext, user_public_id=owner.public_id)
    assert result.ok
    assert (result.user_pk, result.user_public_id) == (owner.pk, owner.public_id)


def test_verify_reports_invalid_user_when_the_user_id_is_not_the_owners(owner, outsider):
    issued = apikey_issue(user=owner)
    for other in (outsider.public_id, "", None, 123, owner.public_id.upper()):
        result = apikey_verify(key=issued.plaintext, user_public_id=other)
        assert result.failure is VerifyFailure.INVALID_USER
        assert result.failure.value == "Invalid User"


def test_verify_rejects_an_unknown_but_well_formed_key(owner):
    apikey_issue(user=owner)
    result = apikey_verify(key=crypto.generate_key(), user_public_id=owner.public_id)
    assert result.failure is VerifyFailure.INVALID_KEY
    assert result.failure.value == "Unauthorized: Invalid API Key"


def test_verify_rejects_a_revoked_key(owner):
    issued = apikey_issue(user=owner)
    assert apikey_revoke(api_key=issued.api_key, reason=KeyRevokeReason.REVOKED_BY_OWNER)
    assert not apikey_revoke(api_key=issued.api_key, reason=KeyRevokeReason.REVOKED_BY_OWNER)
    result = apikey_verify(key=issued.plaintext, user_public_id=owner.public_id)
    assert result.failure is VerifyFailure.INVALID_KEY


def test_a_malformed_or_bad_checksum_key_is_rejected_without_any_query(owner):
    issued = apikey_issue(user=owner)
    typo = issued.plaintext[:-1] + ("a" if issued.plaintext[-1] != "a" else "b")
    with CaptureQueriesContext(connection) as queries:
        for key in (typo, "spx_nope", "", None, 7, {"k": 1}):
            assert apikey_verify(key=key, user_public_id=owner.public_id).failure is (
                VerifyFailure.INVALID_KEY
            )
    assert len(queries) == 0


def test_verify_is_one_query_that_uses_the_digest_index(owner, django_assert_num_queries):
    issued = apikey_issue(user=owner)
    with django_assert_num_queries(1) as captured:
        assert apikey_verify(key=issued.plaintext, user_public_id=owner.public_id).ok
    assert "digest" in captured.captured_queries[0]["sql"]


def test_the_database_refuses_a_second_active_key_for_a_user(owner):
    apikey_issue(user=owner)
    stored = crypto.encrypt(crypto.generate_key(), crypto.current_kek()[1])
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.create(user=owner, ciphertext=stored, kek_id="x", digest="f" * 64, hint="h")


def test_a_key_encrypted_under_an_older_kek_still_decrypts(owner, settings):
    old_kek = bytes(range(32))
    issued = apikey_issue(user=owner)
    row = issued.api_key
    row.ciphertext = crypto.encrypt(issued.plaintext, old_kek)
    row.kek_id = crypto.kek_id(old_kek)
    row.save()
    with pytest.raises(crypto.DecryptionError):
        apikey_decrypt(api_key=row)  # old KEK not configured yet
    settings.KEYSERVICE_OLD_ENCRYPTION_KEYS = (old_kek,)
    assert apikey_decrypt(api_key=row) == issued.plaintext


def test_decrypt_refuses_a_value_that_does_not_match_the_digest(owner):
    issued = apikey_issue(user=owner)
    row = issued.api_key
    row.ciphertext = crypto.encrypt(crypto.generate_key(), crypto.current_kek()[1])
    with pytest.raises(crypto.DecryptionError):
        apikey_decrypt(api_key=row)


def test_twenty_concurrent_requests_by_one_user_leave_exactly_one_active_key(owner, postgres):
    barrier = threading.Barrier(20)
    issued: list[str] = []
    errors: list[BaseException] = []

    def request_key() -> None:
        try:
            barrier.wait(timeout=30)
            issued.append(apikey_issue(user=owner).plaintext)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request_key) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(issued) == 20
    assert ApiKey.objects.filter(user=owner).count() == 20
    active = ApiKey.objects.filter(user=owner, revoked_at__isnull=True)
    assert active.count() == 1
    valid = [k for k in issued if apikey_verify(key=k, user_public_id=owner.public_id).ok]
    assert len(valid) == 1
    assert crypto.digest(valid[0]) == active.get().digest
