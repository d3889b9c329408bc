"""The one canonical form of an email address.

Every address that identifies a person (a user's, allauth's address rows, an invitation's, the
sign-up domains) is stored in this form and compared exactly in it: never `iexact` (which
PostgreSQL evaluates as `UPPER(a) = UPPER(b)`, and a Unicode locale upper-cases `ı` to `I` and
`ſ` to `S`), never a Unicode `lower()` or `casefold()`.

- The local part (before the last `@`) has its ASCII letters A–Z lowercased, and nothing else:
  `Victim` is `victim`, but `vıctim` (dotless i), `ſam` (long s) and full-width `ｖｉｃｔｉｍ`
  stay what they are, so they are other people. A local part that Unicode lowercasing would
  still change (an upper-case letter outside ASCII: the Kelvin sign `K`, `İ`, `É`, full-width
  `Ｖ`) is refused, because allauth lowercases addresses with Python's `str.lower()` before it
  looks them up, and `K`.lower() is the ASCII `k`.
- The domain is its IDNA A-label (UTS #46 processing, non-transitional, by the `idna`
  package: IDNA 2008, what browsers and mail servers resolve), lowercase: `gmaıl.com` is
  `xn--gmal-nza.com`, another registrable domain than `gmail.com`; `GMAIL.com` and full-width
  `ｇｍａｉｌ.com` are `gmail.com`, the very name the DNS resolves. A domain IDNA cannot encode
  (`_`, brackets, empty labels, a trailing dot, disallowed code points) is refused.

So the same mailbox spelled in another ASCII case is the same person, and a look-alike is
another person (or refused). The form is idempotent, and stable under Python's `str.lower()`.
"""

from __future__ import annotations

import string

import idna
from django.core.exceptions import ValidationError

# Django's EmailField (and allauth's EmailAddress.email) hold at most 254 characters.
EMAIL_MAX_LENGTH = 254

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


class UnusableEmailAddress(ValueError):
    """An address with no canonical form: refused wherever an address identifies a person."""


def email_canonical(address: str) -> str:
    """The canonical form of `address` (surrounding blanks removed). Raises
    UnusableEmailAddress for an address that has none."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise UnusableEmailAddress(f'"{address}" is not an email address.')
    local = local.translate(_ASCII_LOWER)
    if local.lower() != local:
        raise UnusableEmailAddress(
            f'"{address}" has a letter before the @ that lowercasing would change into another '
            "(only A-Z may be upper case)."
        )
    canonical = f"{local}@{email_domain_canonical(domain)}"
    if len(canonical) > EMAIL_MAX_LENGTH:
        raise UnusableEmailAddress(
            f'"{address}" is longer than {EMAIL_MAX_LENGTH} characters in its canonical form.'
        )
    return canonical


def email_domain_canonical(domain: str) -> str:
    """The canonical form of a mail domain: its lowercase IDNA A-label. Raises
    UnusableEmailAddress for a domain IDNA cannot encode."""
    name = domain.strip()
    try:
        if not name or name.endswith("."):
            raise idna.IDNAError("empty label")
        encoded = idna.encode(name, uts46=True, transitional=False)
    except UnicodeError:  # idna.IDNAError and the codec's own errors
        raise UnusableEmailAddress(
            f'The domain "{domain}" is not a valid (internationalised) domain name.'
        ) from None
    return encoded.decode("ascii").translate(_ASCII_LOWER)


def email_canonical_or_none(address: str | None) -> str | None:
    """The canonical form of `address`, or None for no address or one without a canonical
    form (a lookup by it finds nobody)."""
    if not address:
        return None
    try:
        return email_canonical(address)
    except UnusableEmailAddress:
        return None


def email_domain(canonical: str) -> str:
    """The domain of a canonical address (its A-label)."""
    return canonical.rpartition("@")[2]


def validate_email_canonicalizable(value: str) -> None:
    """Django validator: the address has a canonical form (model fields, forms)."""
    try:
        email_canonical(value)
    except UnusableEmailAddress as exc:
        raise ValidationError(str(exc), code="email_unusable") from None
