"""Public identifiers: 24 lowercase hex characters (96 random bits), like the hosted platform's."""

import re
import secrets
from typing import TypeGuard

from django.core.validators import RegexValidator

PUBLIC_ID_RE = re.compile(r"^[0-9a-f]{24}$")
# The same id typed in upper or mixed case (`fullmatch`: no trailing newline, ASCII only).
_ANY_CASE_ID_RE = re.compile(r"[0-9a-fA-F]{24}")

validate_public_id = RegexValidator(
    PUBLIC_ID_RE, "Must be 24 lowercase hexadecimal characters.", code="invalid_public_id"
)


def new_public_id() -> str:
    return secrets.token_hex(12)


def is_public_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and PUBLIC_ID_RE.match(value) is not None


def public_id_normalize(value: str) -> str:
    """`value` in lower case if it is a public id in any case (`67944B8A…` is `67944b8a…`);
    anything else unchanged, so it fails its lookup exactly as before. The API edge applies
    it to userId, projectId and uploadId before any lookup."""
    return value.lower() if _ANY_CASE_ID_RE.fullmatch(value) else value
