"""Rotating the key-encryption key: `manage.py rotate_encryption_key` re-encrypts every stored
key under the current KEK, batch by batch, resumably, while keys keep verifying."""

import io
import re
import secrets
import threading
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from accounts.models import User
from apikeys import crypto
from apikeys.models import ApiKey
from apikeys.rotation import kek_rotate
from apikeys.services import apikey_decrypt, apikey_issue
from apikeys.verifier.credentials import apikey_verify

pytestmark = pytest.mark.django_db

STORED = re.compile(r"^[0-9a-f]{32}:[0-9a-f]+$")


@pytest.fixture
def keks(settings):
    """Two KEKs minted for this test; keys are issued under `old` until `switch()` makes `new`
    current (with `old` kept in KEYSERVICE_OLD_ENCRYPTION_KEYS unless keep_old=False)."""
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    settings.KEYSERVICE_ENCRYPTION_KEY = old
    settings.KEYSERVICE_OLD_ENCRYPTION_KEYS = ()

    def switch(*, keep_old: bool = True) -> None:
        settings.KEYSERVICE_ENCRYPTION_KEY = new
        settings.KEYSERVICE_OLD_ENCRYPTION_KEYS = (old,) if keep_old else ()

    return SimpleNamespace(old_id=crypto.kek_id(old), new_id=crypto.kek_id(new), switch=switch)


@pytest.fixture
def issued(keks):
    """Five keys under the old KEK (one of them already revoked), then the new KEK current."""
    users = [User.objects.create_user(f"user{i}@example.com", "pw-user-123") for i in range(4)]
    keys = [apikey_issue(user=user) for user in users]
    keys.insert(0, apikey_issue(user=users[0]))  # users[0]'s first key is now revoked
    keks.switch()
    return sorted(keys, key=lambda k: k.api_key.pk)


def rotate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("rotate_encryption_key", *args, stdout=out, stderr=err)
    except CommandError as exc:
        # Carried to the test that catches it; CommandError does not declare them.
        exc.stdout, exc.stderr = out.getvalue(), err.getvalue()  # type: ignore[attr-defined]
        raise
    return out.getvalue(), err.getvalue()


def stored() -> dict[int, tuple[str, str, str, str]]:
    return {
        row.pk: (row.kek_id, row.ciphertext, row.digest, row.hint) for row in ApiKey.objects.all()
    }


def all_verify(keys) -> bool:
    active = [k for k in keys if ApiKey.objects.get(pk=k.api_key.pk).is_active]
    return all(
        apikey_verify(key=k.plaintext, user_public_id=k.api_key.user.public_id).ok for k in active
    )


def test_every_key_under_an_old_kek_is_re_encrypted_under_the_current_one(keks, issued):
    before = stored()
    assert {kek for kek, *_ in before.values()} == {keks.old_id}

    out, _ = rotate("--batch-size", "2")

    after = stored()
    for key in issued:
        row = ApiKey.objects.get(pk=key.api_key.pk)
        old_kek, old_ciphertext, digest, hint = before[row.pk]
        assert (old_kek, row.kek_id) == (keks.old_id, keks.new_id)
        assert row.ciphertext != old_ciphertext
        assert STORED.match(row.ciphertext)
        assert (row.digest, row.hint) == (digest, hint)
        assert apikey_decrypt(api_key=row) == key.plaintext
    assert len(after) == 5
    assert f"Re-encrypted 5 of 5 key(s) under kek_id {keks.new_id}." in out
    assert "Verified 5 key(s)" in out
    assert "You may now remove the old key(s) from KEYSERVICE_OLD_ENCRYPTION_KEYS" in out


def test_revoked_keys_are_re_encrypted_too_so_the_old_kek_can_go(keks, issued):
    rotate()
    keks.switch(keep_old=False)
    revoked = ApiKey.objects.get(revoked_at__isnull=False)
    assert apikey_decrypt(api_key=revoked) == issued[0].plaintext


def test_no_plaintext_appears_in_the_commands_output(keks, issued):
    out, err = rotate("--batch-size", "2")
    for key in issued:
        assert key.plaintext not in out + err
        assert key.plaintext[4:-6] not in out + err


def test_progress_is_shown_as_a_text_bar_on_stderr(keks, issued):
    _, err = rotate("--batch-size", "2")
    bars = re.findall(r"re-encrypting \[([#-]+)\] (\d+)/(\d+)", err)
    assert [(int(done), int(total)) for _, done, total in bars] == [(2, 5), (4, 5), (5, 5)]
    assert set(bars[-1][0]) == {"#"}
    assert re.search(r"verifying \[#+\] 5/5", err)


def test_keys_verify_and_decrypt_before_during_and_after_the_rotation(keks, issued):
    assert all_verify(issued)
    seen = []

    def during(done: int, total: int) -> None:
        seen.append({row.kek_id for row in ApiKey.objects.all()})
        assert all_verify(issued)
        # the email worker's path: each row decrypts with whichever KEK it names
        for key in issued:
            assert apikey_decrypt(api_key=ApiKey.objects.get(pk=key.api_key.pk)) == key.plaintext

    report = kek_rotate(batch_size=1, on_batch=during)

    assert report.rotated == 5
    assert {keks.old_id, keks.new_id} in seen  # checked while both KEKs were in use
    assert all_verify(issued)


def test_an_interrupted_run_keeps_its_finished_batches_and_a_second_run_completes_it(
    keks, issued, monkeypatch
):
    before = stored()
    real_encrypt, calls = crypto.encrypt, []

    def encrypt_then_interrupt(plaintext: str, kek: bytes) -> str:
        calls.append(1)
        if len(calls) == 4:  # in the middle of the second batch
            raise KeyboardInterrupt
        return real_encrypt(plaintext, kek)

    monkeypatch.setattr(crypto, "encrypt", encrypt_then_interrupt)
    with pytest.raises(CommandError, match="run the command again") as interrupted:
        rotate("--batch-size", "2")
    assert interrupted.value.returncode == 130

    pks = sorted(before)
    middle = stored()
    assert [middle[pk][0] for pk in pks] == [keks.new_id] * 2 + [keks.old_id] * 3
    assert all(middle[pk] == before[pk] for pk in pks[2:])  # the unfinished batch rolled back
    assert all_verify(issued)

    monkeypatch.setattr(crypto, "encrypt", real_encrypt)
    out, _ = rotate("--batch-size", "2")
    assert "Re-encrypted 3 of 3 key(s)" in out
    assert {kek for kek, *_ in stored().values()} == {keks.new_id}
    assert [stored()[pk][1] for pk in pks[:2]] == [middle[pk][1] for pk in pks[:2]]


def test_a_kek_that_is_not_configured_stops_the_run_naming_its_kek_id(keks, issued):
    keks.switch(keep_old=False)
    before = stored()
    for args in ((), ("--dry-run",)):
        with pytest.raises(CommandError) as failed:
            rotate(*args)
        message = str(failed.value)
        assert f"kek_id {keks.old_id} (5 key(s))" in message
        assert "KEYSERVICE_OLD_ENCRYPTION_KEYS" in message
        assert failed.value.returncode == 1
    assert stored() == before


def test_a_key_that_does_not_match_its_digest_fails_the_run_and_keeps_its_old_kek(keks, issued):
    tampered = issued[2].api_key
    old_kek = crypto.keyring()[keks.old_id]
    ApiKey.objects.filter(pk=tampered.pk).update(
        ciphertext=crypto.encrypt(crypto.generate_key(), old_kek)
    )

    with pytest.raises(CommandError) as failed:
        rotate("--batch-size", "2")

    message = str(failed.value)
    assert f"key {tampered.pk} (kek_id {keks.old_id})" in message
    assert "does not match the stored digest" in message
    assert "You may now remove" not in failed.value.stdout
    kek_ids = {row.pk: row.kek_id for row in ApiKey.objects.all()}
    assert kek_ids.pop(tampered.pk) == keks.old_id
    assert set(kek_ids.values()) == {keks.new_id}


def test_a_dry_run_reports_counts_per_kek_id_and_changes_nothing(keks, issued):
    apikey_issue(user=User.objects.create_user("new@example.com", "pw-new-1234"))
    before = stored()

    out, _ = rotate("--dry-run")

    assert re.search(rf"^  {keks.old_id}\s+5  old$", out, re.M)
    assert re.search(rf"^  {keks.new_id}\s+1  current$", out, re.M)
    assert f"Dry run: 5 key(s) would be re-encrypted under {keks.new_id}." in out
    assert stored() == before


def test_a_second_run_has_nothing_to_re_encrypt_and_still_verifies_every_key(keks, issued):
    rotate()
    after_first = stored()
    out, _ = rotate()
    assert "Re-encrypted 0 of 0 key(s)" in out
    assert f"Verified 5 key(s): 5 under kek_id {keks.new_id}" in out
    assert stored() == after_first


def test_keys_locked_by_another_transaction_are_skipped_and_left_for_a_second_run(
    postgres, keks, issued, monkeypatch
):
    monkeypatch.setattr("apikeys.rotation.time.sleep", lambda seconds: None)
    held = issued[1].api_key.pk
    locked, release = threading.Event(), threading.Event()

    def hold_row_lock() -> None:
        try:
            with transaction.atomic():
                ApiKey.objects.select_for_update().get(pk=held)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_row_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with pytest.raises(CommandError, match=f"1 under kek_id {keks.old_id}"):
            rotate("--batch-size", "2")
    finally:
        release.set()
        holder.join()
    assert ApiKey.objects.get(pk=held).kek_id == keks.old_id
    assert ApiKey.objects.exclude(pk=held).filter(kek_id=keks.old_id).count() == 0

    out, _ = rotate()
    assert "Re-encrypted 1 of 1 key(s)" in out
    assert "You may now remove" in out
