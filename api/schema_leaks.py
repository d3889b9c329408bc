"""OpenAPI descriptions (drf-spectacular) of the leak intake endpoints (api/leak_views.py)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as s

from api.schema import ERROR
from apikeys.leaks.services import MAX_PUBLIC_REPORTED, MAX_REPORTED, MAX_REPORTED_LENGTH


def _errors(*codes: int) -> dict:
    return {code: ERROR for code in codes}


_PATTERN = "`spx_[0-9A-Za-z]{49}` (the last 6 characters: the base62 CRC32 of the rest)"

github_secret_scanning = extend_schema(
    operation_id="github_secret_scanning",
    tags=["leaks"],
    parameters=[
        OpenApiParameter(
            "Github-Public-Key-Identifier",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=True,
            description="The id of the GitHub public key that signed the body.",
        ),
        OpenApiParameter(
            "Github-Public-Key-Signature",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=True,
            description="Base64 DER ECDSA (P-256, SHA-256) signature of the raw body.",
        ),
    ],
    request=inline_serializer(
        "SecretScanningMatch",
        {
            "token": s.CharField(help_text=f"The string found, matching {_PATTERN}."),
            "type": s.CharField(required=False, help_text="The secret type registered."),
            "url": s.CharField(required=False, help_text="Where GitHub found it."),
            "source": s.CharField(
                required=False, help_text="content, commit, pull_request_title, …"
            ),
        },
        many=True,
    ),
    responses={
        200: inline_serializer(
            "SecretScanningFeedback",
            {
                "token_raw": s.CharField(),
                "token_type": s.CharField(),
                "label": s.ChoiceField(["true_positive", "false_positive"]),
            },
            many=True,
        ),
        **_errors(400, 401, 403, 413, 415, 500, 503),
    },
    description="GitHub secret scanning's partner endpoint, called by GitHub only. The "
    "signature is checked over the raw body against GitHub's published keys before anything "
    "is read: missing headers → 401 `Unauthorized: Missing signature`, a wrong signature or "
    "unknown key id → 401 `Unauthorized: Invalid signature`, GitHub's keys unreachable and "
    f"none known → 503. A body that is not a list of 1 to {MAX_REPORTED} matches → 400. Each "
    "distinct token is answered once: `true_positive` if it was an active key (now revoked, "
    "its owner emailed, a `leak_revoked` audit event naming the URL), else `false_positive`.",
)

keys_revoke = extend_schema(
    operation_id="keys_revoke",
    tags=["leaks"],
    auth=[],
    request=inline_serializer(
        "KeyReport",
        {
            "keys": s.ListField(
                child=s.CharField(max_length=MAX_REPORTED_LENGTH),
                min_length=1,
                max_length=MAX_PUBLIC_REPORTED,
                help_text=f"Strings found exposed, e.g. every match of {_PATTERN}.",
            )
        },
    ),
    responses={
        202: inline_serializer("KeyReportReceived", {"received": s.IntegerField()}),
        **_errors(400, 403, 413, 415, 429, 500, 503),
    },
    description="Unauthenticated: anyone who found a key reports it. Active keys among the "
    "strings are revoked (their owners emailed, a `leak_revoked` audit event) by the worker, "
    'after the answer. The answer is always `202 {"received": <number of strings>}`: the '
    "same status, body and headers whether a string was an active key, a retired key, "
    f"unknown or malformed. Up to {MAX_PUBLIC_REPORTED} strings of at most "
    f"{MAX_REPORTED_LENGTH} characters (else 400 `Invalid field: keys`); HTTPS only; "
    "limited per client address (429 with Retry-After).",
)
