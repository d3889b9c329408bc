"""Addresses that look like another one, and spellings of one address, for the tests of every
decision that identifies a person by address (accounts/tests/test_lookalike_addresses*.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Lookalike:
    real: str  # the real owner's address (canonical)
    lookalike: str  # what an attacker may hold
    canonical: str | None  # the look-alike's canonical form; None: it has none, refused
    valid: bool  # Django's validate_email accepts it (sign-up and admin forms, Google, import)


# Django's validator accepts ı, ſ and the Kelvin sign before the @ (Python's re matches them
# with [A-Z] under IGNORECASE), not full-width letters.
LOOKALIKES = [
    pytest.param(
        Lookalike("victim@gmail.com", "vıctim@gmail.com", "vıctim@gmail.com", True),
        id="dotless-i-before-the-at",
    ),
    pytest.param(
        Lookalike("victim@gmail.com", "victim@gmaıl.com", "victim@xn--gmal-nza.com", True),
        id="dotless-i-in-the-domain",
    ),
    pytest.param(
        Lookalike("sam@example.com", "ſam@example.com", "ſam@example.com", True), id="long-s"
    ),
    pytest.param(
        Lookalike("kate@example.com", "\u212aate@example.com", None, True), id="kelvin-sign"
    ),
    pytest.param(
        Lookalike(
            "victim@gmail.com", "ｖｉｃｔｉｍ@ｇｍａｉｌ.com", "ｖｉｃｔｉｍ@gmail.com", False
        ),
        id="full-width",
    ),
]

# (an address in canonical form, the same address spelled otherwise)
SAME_ADDRESS = [
    pytest.param("victim@gmail.com", "Victim@GMAIL.com", id="ascii-case"),
    # IDNA maps a full-width domain to the name the DNS resolves: the same mailbox.
    pytest.param("victim@gmail.com", "VICTIM@ｇｍａｉｌ.com", id="full-width-domain"),
    pytest.param("victim@xn--gmal-nza.com", "Victim@gmaıl.COM", id="a-label-and-u-label"),
]
