"""A project's custom domain: a DNS hostname (RFC 1123 labels), stored in lower case.

Only a name is accepted: no scheme, port, path, userinfo, wildcard or IP address, at most
253 characters, at least two labels, each 1-63 of `a-z 0-9 -` not starting or ending with
`-`, and a top-level label that is not all digits. Internationalised names are given in
their ASCII (punycode, `xn--…`) form.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from core.hostnames import dns_name_is_valid

INVALID_MESSAGE = "Enter a hostname such as stream.example.com (no scheme, port or path)."

_ALL_DIGITS = re.compile(r"[0-9]+")


def custom_domain_is_valid(value: str) -> bool:
    """Whether `value` is a hostname as stored (lower case, no trailing dot)."""
    labels = value.split(".")
    if len(labels) < 2 or _ALL_DIGITS.fullmatch(labels[-1]):
        return False
    return dns_name_is_valid(value)


def validate_custom_domain(value: str) -> None:
    """The model field's validator (admin and full_clean): the stored form only."""
    if not custom_domain_is_valid(value):
        raise ValidationError(INVALID_MESSAGE, code="invalid_custom_domain")


def custom_domain_clean(value: str | None) -> str:
    """A typed domain as stored: "" for none (None, empty or blank), else lower case without
    surrounding blanks or one trailing dot (`Stream.Example.com.` is
    `stream.example.com`). Raises ValidationError for anything that is not a hostname."""
    if value is None or not value.strip():
        return ""
    domain = value.strip().lower()
    if domain.endswith("."):
        domain = domain[:-1]
    validate_custom_domain(domain)
    return domain
