"""The receiver-side signature check returns False for every malformed header, never raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.outbound import signature_header, signature_verify

SECRET = "s3cret"
BODY = b'{"event":"build.approved"}'
NOW = 1_767_225_600  # fixed: test ids carry it, and must be the same in every process (xdist)
GOOD = signature_header(secret=SECRET, body=BODY, timestamp=NOW)
MAC = GOOD.partition("v1=")[2]

MALFORMED = [
    "",
    "t=²",
    f"t=²,v1={MAC}",
    f"t=١٢٣,v1={MAC}",  # Arabic-Indic digits: str.isdigit() says yes
    f"t=１２３,v1={MAC}",  # fullwidth digits
    f"t={'9' * 5000},v1={MAC}",  # int() refuses more than 4300 digits
    f"t={'9' * 20},v1={MAC}",
    f"t=-{NOW},v1={MAC}",
    f"t=+{NOW},v1={MAC}",
    f"t={NOW}.5,v1={MAC}",
    f"t= {NOW},v1={MAC}",
    f"t={NOW}",
    f"v1={MAC}",
    f"t={NOW},v1=",
    f"t={NOW},v1",
    f"t={NOW},{MAC}",
    f"t={NOW},t={NOW},v1={MAC}",  # duplicate timestamp
    f"t={NOW},t={NOW + 1},v1={MAC}",
    f"t={NOW},v1={MAC},,",
    f"t={NOW};v1={MAC}",
    f"t={NOW},v1={MAC.upper()}",
    f"t={NOW},v1={MAC[:-1]}",
    f"t={NOW},v1={MAC}0",
    f"t={NOW},v1={MAC[:-1]}\u0660",
    f"t={NOW},v1=\u00e9{MAC[1:]}",
    f"T={NOW},V1={MAC}",
    f"t={NOW},v1={MAC}\x00",
    "=,=,=",
    "t=\ud800,v1=x",  # a lone surrogate
    GOOD + "," + "x" * 5000,
]


@pytest.mark.parametrize("header", MALFORMED, ids=repr)
def test_a_malformed_signature_header_is_not_valid(header):
    assert signature_verify(secret=SECRET, header=header, body=BODY, now=NOW) is False


@pytest.mark.parametrize("header", [None, 123, b"t=1,v1=00", ["t=1"]], ids=repr)
def test_a_header_that_is_not_a_string_is_not_valid(header):
    assert signature_verify(secret=SECRET, header=header, body=BODY, now=NOW) is False


def test_the_well_formed_header_still_verifies_and_another_scheme_is_ignored():
    assert signature_verify(secret=SECRET, header=GOOD, body=BODY, now=NOW)
    assert signature_verify(secret=SECRET, header=f"{GOOD},v0=legacy", body=BODY, now=NOW)
    rotating = f"t={NOW},v1={'0' * 64},v1={MAC}"  # several v1 while secrets rotate
    assert signature_verify(secret=SECRET, header=rotating, body=BODY, now=NOW)
    assert not signature_verify(secret=SECRET, header=GOOD, body=BODY, now=float("nan"))


@given(st.text(max_size=300))
def test_any_text_as_the_header_returns_a_bool_without_raising(header):
    assert signature_verify(secret=SECRET, header=header, body=BODY, now=NOW) in (True, False)


@given(
    st.lists(
        st.tuples(st.sampled_from(["t", "v1", "v0", "T", "", " t"]), st.text(max_size=80)),
        max_size=6,
    )
)
def test_any_list_of_parts_returns_false_unless_it_is_the_real_signature(parts):
    header = ",".join(f"{key}={value}" for key, value in parts)
    assert signature_verify(secret=SECRET, header=header, body=BODY, now=NOW) is False


def test_a_secret_that_is_not_ascii_is_not_valid_rather_than_raising():
    body = b"{}"
    header = signature_header(secret="ab" * 32, body=body)
    assert signature_verify(secret="\ud800", header=header, body=body) is False
    assert signature_verify(secret="é" * 8, header=header, body=body) is False
