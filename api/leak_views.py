"""Leak intake on the public API: GitHub secret scanning's partner endpoint and the public
"I found a key" revocation endpoint (apikeys.leaks.services revokes, audits and notifies)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from api import schema_leaks as schema
from api.auth import client_address
from api.base import PublicApiView, field_error
from api.errors import ApiError
from api.inputs import http_url
from api.throttles import GithubScanningGlobal, KeyReportByClient, KeyReportsGlobal, budgets_spend
from apikeys.leaks.github_scanning import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    KeysUnavailable,
    github_signature_verify,
)
from apikeys.leaks.reports import leak_report_enqueue
from apikeys.leaks.services import (
    MAX_PUBLIC_REPORTED,
    MAX_REPORTED,
    MAX_REPORTED_LENGTH,
    apikey_revoke_leaked,
)
from core.clientip import client_identity

GITHUB_REPORTER = "GitHub secret scanning"
MISSING_SIGNATURE = (401, "Unauthorized: Missing signature")
INVALID_SIGNATURE = (401, "Unauthorized: Invalid signature")
KEYS_UNAVAILABLE = (503, "Signature keys unavailable, try again later")
MATCHES_MESSAGE = f"Invalid body: expected a list of 1 to {MAX_REPORTED} matches"


def _header(request: Request, name: str) -> str | None:
    value = request.META.get("HTTP_" + name.upper().replace("-", "_"))
    return value.strip() if isinstance(value, str) and value.strip() else None


def _matches(data: object) -> list[dict[str, str]]:
    """GitHub's body: a list of {"token", "type", "url", "source"} (token required)."""
    if not (isinstance(data, list) and 1 <= len(data) <= MAX_REPORTED):
        raise ApiError(400, MATCHES_MESSAGE)
    matches = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            raise field_error("token")
        for name in ("type", "url", "source"):
            if not isinstance(entry.get(name, ""), str):
                raise field_error(name)
        matches.append({k: entry.get(k, "") for k in ("token", "type", "url", "source")})
    return matches


def _source(match: dict[str, str]) -> str:
    """Where GitHub found it, for the audit event: `(source) url`, the URL only if it is one."""
    url = match["url"] if http_url(match["url"]) is not None else ""
    source = match["source"][:40] if match["source"].isprintable() else ""
    return " ".join(p for p in (f"({source})" if source else "", url) if p)


class GithubSecretScanning(PublicApiView):
    """GitHub reports strings matching our pattern; the active keys among them are revoked.
    The signature is checked over the raw body before anything is parsed or written; before
    that, the endpoint's global budget (anyone can post to it)."""

    @schema.github_secret_scanning
    def post(self, request: Request) -> Response:
        budgets_spend(request, GithubScanningGlobal())
        key_id, signature = _header(request, KEY_ID_HEADER), _header(request, SIGNATURE_HEADER)
        if key_id is None or signature is None:
            raise ApiError(*MISSING_SIGNATURE)
        try:
            valid = github_signature_verify(body=request.body, key_id=key_id, signature=signature)
        except KeysUnavailable:
            raise ApiError(*KEYS_UNAVAILABLE) from None
        if not valid:
            raise ApiError(*INVALID_SIGNATURE)
        matches = _matches(request.data)
        first: dict[str, dict[str, str]] = {}
        for match in matches:
            first.setdefault(match["token"], match)
        revoked = set(
            apikey_revoke_leaked(
                keys=list(first),
                reported_by=GITHUB_REPORTER,
                sources={token: _source(match) for token, match in first.items()},
            )
        )
        return Response(
            [
                {
                    "token_raw": token,
                    "token_type": match["type"],
                    "label": "true_positive" if token in revoked else "false_positive",
                }
                for token, match in first.items()
            ]
        )


def _reported_strings(data: object) -> list[str]:
    keys = data.get("keys") if isinstance(data, dict) else None
    if not (
        isinstance(keys, list)
        and 1 <= len(keys) <= MAX_PUBLIC_REPORTED
        and all(isinstance(k, str) and len(k) <= MAX_REPORTED_LENGTH for k in keys)
    ):
        raise field_error("keys")
    return keys


class RevokeReported(PublicApiView):
    """Anyone reports strings they found exposed. The answer is the same for every string
    (an active key, a retired key, an unknown or malformed string): the request digests them
    all and hands the digests to the worker, with no database query."""

    @schema.keys_revoke
    def post(self, request: Request) -> Response:
        budgets_spend(request, KeyReportByClient(client_identity(request.META)), KeyReportsGlobal())
        strings = _reported_strings(request.data)
        reporter = f"the public revocation endpoint (client {client_address(request) or 'unknown'})"
        leak_report_enqueue(strings=strings, reported_by=reporter)
        return Response({"received": len(strings)}, status=202)
