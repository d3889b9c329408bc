"""The canonical form of an email address (accounts.addresses): A-Z lowercased before the @,
nothing else; the IDNA A-label after it; refused when it has none."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.addresses import (
    UnusableEmailAddress,
    email_canonical,
    email_domain_canonical,
)


@pytest.mark.parametrize(
    ("address", "canonical"),
    [
        ("victim@gmail.com", "victim@gmail.com"),
        ("  Victim@GMAIL.Com ", "victim@gmail.com"),
        # Look-alikes keep the letters that make them another address.
        ("vıctim@gmail.com", "vıctim@gmail.com"),  # U+0131 dotless i
        ("ſam@example.com", "ſam@example.com"),  # U+017F long s
        (
            "ｖｉｃｔｉｍ@ｇｍａｉｌ.com",
            "ｖｉｃｔｉｍ@gmail.com",
        ),  # full-width: only the domain maps
        # The domain is its IDNA A-label: gmaıl.com is another registrable domain.
        ("victim@gmaıl.com", "victim@xn--gmal-nza.com"),
        ("VICTIM@XN--GMAL-NZA.COM", "victim@xn--gmal-nza.com"),
        ("Ada@MÜNCHEN.de", "ada@xn--mnchen-3ya.de"),
        ("ada@faß.de", "ada@xn--fa-hia.de"),  # non-transitional: ß is not ss
        # UTS #46 maps what the DNS itself cannot hold to the name it resolves.
        ("victim@ｇｍａｉｌ.com", "victim@gmail.com"),
        ("victim@ſtripe.com", "victim@stripe.com"),
        ("victim@\u212aeys.example", "victim@keys.example"),  # Kelvin sign
        # The last @ separates the domain (a quoted local part may hold one).
        ('"a@b"@Example.com', '"a@b"@example.com'),
    ],
)
def test_an_address_has_one_canonical_form(address, canonical):
    assert email_canonical(address) == canonical


@pytest.mark.parametrize(
    "address",
    [
        "",
        "no-at-sign",
        "@example.com",
        "victim@",
        "\u212aate@example.com",  # Kelvin sign: str.lower() makes it the ASCII k
        "\u0130lker@example.com",  # İ: str.lower() makes it i + combining dot
        "Élodie@example.com",  # an upper-case letter outside A-Z
        "ＶＩＣＴＩＭ@gmail.com",  # full-width capitals lowercase to full-width letters
        "victim@exa_mple.com",
        "victim@[127.0.0.1]",
        "victim@example..com",
        "victim@example.com.",
        "victim@-example.com",
        "victim@xn--zz.com",  # an invalid A-label
        "victim@a\u200db.com",  # a joiner outside its context
        "victim@" + "a" * 64 + ".com",  # a label longer than 63
        "v" * 243 + "@example.com",  # 255 characters
    ],
)
def test_an_address_without_a_canonical_form_is_refused(address):
    with pytest.raises(UnusableEmailAddress):
        email_canonical(address)


def test_a_domain_is_its_lowercase_a_label_and_a_trailing_dot_is_refused():
    assert email_domain_canonical(" Gmaıl.COM ") == "xn--gmal-nza.com"
    with pytest.raises(UnusableEmailAddress):
        email_domain_canonical("example.com.")


addresses = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(min_size=1, max_size=20).filter(lambda s: "@" not in s),
    st.sampled_from(["gmail.com", "GMAIL.com", "gmaıl.com", "ｇｍａｉｌ.com", "münchen.de", "x.y"]),
)


@given(addresses)
def test_the_canonical_form_is_its_own_canonical_form_and_lowercasing_changes_nothing(address):
    try:
        canonical = email_canonical(address)
    except UnusableEmailAddress:
        return
    assert email_canonical(canonical) == canonical
    # allauth lowercases addresses with str.lower() before it looks them up: a no-op here.
    assert canonical.lower() == canonical
    local, _, domain = canonical.rpartition("@")
    assert domain.isascii() and not any("A" <= c <= "Z" for c in local)
