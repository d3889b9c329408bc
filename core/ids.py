"""Public identifiers: 24 lowercase hex characters (96 random bits), like the hosted platform's."""

import re
import secrets
from typing import TypeGuard

from django.core.validators import RegexValidator

PUBLIC_ID_RE = re.compile(r"^[0-9a-f]{24}$")

validate_public_id = RegexValidator(
    PUBLIC_ID_RE, "Must be 24 lowercase hexadecimal characters.", code="invalid_public_id"
)


def new_public_id() -> str:
    return secrets.token_hex(12)


def is_public_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and PUBLIC_ID_RE.match(value) is not None
