"""The internal API (/internal/v1) for our own services. `verify` is the hot path."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from api import schema
from api.auth import (
    MISSING_TOKEN,
    AnyRequest,
    authenticate_service,
    authorize_project,
    require_strings,
)
from api.base import CREDENTIALS_MESSAGE, ApiView, field_error
from api.errors import ApiError
from apikeys.leaks.services import MAX_REPORTED, apikey_revoke_leaked
from apikeys.models import Scope
from builds.models import Upload
from builds.services import upload_status_report
from core.ids import public_id_normalize

MAX_OBJECTION_LENGTH = 2000


def bearer_token(request: AnyRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def verify_answer(request: AnyRequest, data: object) -> dict:
    """The verify answer for a request and its parsed body, or the ApiError of docs/api.md's table:
    the one handler of the DRF view and of its lean transport (api.lean)."""
    # The hot path: no up-front flood check (a Redis round trip per call). Callers are
    # authenticated services; wrong tokens are still counted per client address and
    # answered 429 past the limit (api.auth), and relayed key failures are not counted.
    token = bearer_token(request)
    if token is None:
        raise ApiError(*MISSING_TOKEN)
    body = data if isinstance(data, dict) else {}
    values = {k: body.get(k) for k in ("apiKey", "userId", "projectId")}
    strings = require_strings(values, CREDENTIALS_MESSAGE)
    access = body.get("access", "read")
    if access not in ("read", "write"):
        raise field_error("access")
    principal = authorize_project(
        request,
        api_key=strings["apiKey"],
        user_id=strings["userId"],
        project_id=strings["projectId"],
        need=access,
        service_token=token,
        check_token=True,
        scope=Scope.VERIFY.value,
    )
    return {
        "valid": True,
        "userId": principal.user_public_id,
        "projectId": public_id_normalize(strings["projectId"]),
        "role": principal.access.value,
        "access": access,
    }


class Verify(ApiView):
    """Served through api.lean (api/urls.py): this view answers the unusual requests."""

    @schema.internal_verify
    def post(self, request: Request) -> Response:
        return Response(verify_answer(request, request.data))


def _reported_keys(data: object) -> list[str]:
    keys = data.get("keys") if isinstance(data, dict) else None
    if not (
        isinstance(keys, list)
        and 1 <= len(keys) <= MAX_REPORTED
        and all(isinstance(k, str) for k in keys)
    ):
        raise field_error("keys")
    return keys


class RevokeLeaked(ApiView):
    """A secret scanner reports strings it found exposed; active keys among them are revoked.

    The answer lists only those: unknown, malformed and already-revoked strings are absent,
    with the same status and shape, so it tells the caller nothing about them.
    """

    @schema.internal_revoke_leaked
    def post(self, request: Request) -> Response:
        token = bearer_token(request)
        service = authenticate_service(request, token, scope=Scope.REVOKE_LEAKED.value)
        keys = _reported_keys(request.data)
        revoked = apikey_revoke_leaked(keys=keys, reported_by=service)
        return Response({"revoked": revoked, "count": len(revoked)})


def _reported_status(data: dict) -> tuple[str, str | None]:
    """The body of a status report: a lifecycle state spelled exactly, and an objection (a
    string, for Reject only; "" is none)."""
    status = data.get("status")
    if status in (None, ""):
        raise field_error("status", missing=True)
    if status not in Upload.Status.values:
        raise field_error("status")
    objection = data.get("objection")
    if objection is not None and not (
        isinstance(objection, str) and len(objection) <= MAX_OBJECTION_LENGTH
    ):
        raise field_error("objection")
    if objection and status != Upload.Status.REJECT:
        raise field_error("objection")
    return status, objection or None


class UploadStatus(ApiView):
    """The build pipeline reports that an upload entered a state (builds.status_transitions):
    the upload moves on and its webhook event is sent; an invalid move is 409."""

    @schema.internal_upload_status
    def post(self, request: Request, uploadId: str) -> Response:
        authenticate_service(request, bearer_token(request), scope=Scope.PIPELINE.value)
        data = request.data if isinstance(request.data, dict) else {}
        status, objection = _reported_status(data)
        upload = upload_status_report(
            upload_public_id=public_id_normalize(uploadId), status=status, objection=objection
        )
        return Response({"uploadId": upload.public_id, "status": upload.status})
