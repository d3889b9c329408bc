import re

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from apikeys import crypto

KEY_RE = re.compile(r"^spx_[0-9A-Za-z]{43}[0-9A-Za-z]{6}$")


def test_a_generated_key_has_the_prefix_256_random_bits_and_a_valid_checksum():
    key = crypto.generate_key()
    assert KEY_RE.match(key)
    assert 62**43 >= 2**256
    assert crypto.is_well_formed(key)


def test_generated_keys_are_unique():
    assert len({crypto.generate_key() for _ in range(500)}) == 500


@pytest.mark.parametrize("position", [4, 20, 46, 47, 52])
def test_a_single_changed_character_is_rejected_by_the_checksum(position):
    key = crypto.generate_key()
    replacement = "A" if key[position] != "A" else "B"
    typo = key[:position] + replacement + key[position + 1 :]
    assert not crypto.is_well_formed(typo)


@pytest.mark.parametrize(
    "value",
    ["", "spx_", "spx_short", None, 42, ["spx_"], "xyz_" + "a" * 49, "spx_" + "a" * 48 + "!"],
)
def test_malformed_values_are_not_well_formed(value):
    assert not crypto.is_well_formed(value)


def test_the_checksum_is_the_base62_crc32_of_everything_before_it():
    import zlib

    key = crypto.generate_key()
    body, check = key[:-6], key[-6:]
    number = 0
    for char in check:
        number = number * 62 + crypto.BASE62.index(char)
    assert number == zlib.crc32(body.encode())


def test_the_hint_shows_only_the_prefix_and_the_last_four_characters():
    key = crypto.generate_key()
    assert crypto.hint(key) == f"spx_…{key[-4:]}"


def test_the_stored_value_is_iv_hex_colon_ciphertext_hex_and_decrypts_with_plain_aes_cbc():
    key = crypto.generate_key()
    stored = crypto.encrypt(key, settings.KEYSERVICE_ENCRYPTION_KEY)
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]+", stored)
    iv_hex, data_hex = stored.split(":")
    # Decrypt independently of our module: AES-256-CBC + PKCS7 under the configured key.
    decryptor = Cipher(
        algorithms.AES(settings.KEYSERVICE_ENCRYPTION_KEY), modes.CBC(bytes.fromhex(iv_hex))
    ).decryptor()
    padded = decryptor.update(bytes.fromhex(data_hex)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    assert (unpadder.update(padded) + unpadder.finalize()).decode() == key
    assert len(settings.KEYSERVICE_ENCRYPTION_KEY) == 32


def test_each_encryption_uses_a_fresh_iv():
    key = crypto.generate_key()
    kek = settings.KEYSERVICE_ENCRYPTION_KEY
    first, second = crypto.encrypt(key, kek), crypto.encrypt(key, kek)
    assert first.split(":")[0] != second.split(":")[0]
    assert first != second


def test_a_tampered_ciphertext_fails_cleanly():
    kek = settings.KEYSERVICE_ENCRYPTION_KEY
    stored = crypto.encrypt(crypto.generate_key(), kek)
    iv_hex, data_hex = stored.split(":")
    flipped = data_hex[:-2] + format(int(data_hex[-2:], 16) ^ 0xFF, "02x")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{iv_hex}:{flipped}", kek)


def test_a_wrong_key_encryption_key_fails_cleanly():
    stored = crypto.encrypt(crypto.generate_key(), settings.KEYSERVICE_ENCRYPTION_KEY)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, bytes(32))


@pytest.mark.parametrize("stored", ["", "zz:zz", "00" * 16, "00" * 16 + ":", "00" * 16 + ":abc"])
def test_a_malformed_stored_value_fails_cleanly(stored):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, settings.KEYSERVICE_ENCRYPTION_KEY)


def test_the_digest_is_an_hmac_under_the_digest_secret_not_a_plain_hash():
    import hashlib

    key = crypto.generate_key()
    assert crypto.digest(key) != hashlib.sha256(key.encode()).hexdigest()
    assert len(crypto.digest(key)) == 64


def test_key_encryption_key_ids_are_stable_and_distinct():
    a, b = bytes(32), bytes([1]) * 32
    assert crypto.kek_id(a) == crypto.kek_id(a)
    assert crypto.kek_id(a) != crypto.kek_id(b)
