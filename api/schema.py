"""OpenAPI descriptions (drf-spectacular) of both APIs: real request and error shapes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as s

from builds.models import Upload

ERROR = inline_serializer("Error", {"message": s.CharField()})
# The lifecycle states, spelled as documented.
UPLOAD_STATUSES = list(Upload.Status.values)


def _errors(*codes: int) -> dict:
    return {code: ERROR for code in codes}


def _query(*names: str, required: bool = True) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.QUERY, required=required)
        for name in names
    ]


_CREDENTIALS = {
    "apiKey": s.CharField(help_text="Your API key (spx_…)."),
    "userId": s.CharField(help_text="Your userId (24 hex)."),
    "projectId": s.CharField(help_text="The projectId (24 hex)."),
}
_TIMESTAMP = "UTC, with milliseconds and Z: 2026-02-01T10:15:00.000Z."
_REGIONS = ["us-east-1", "europe", "asia-pacific"]


def _project() -> dict[str, s.Field[Any, Any, Any, Any]]:
    """A project's fields, fresh each time: a field instance binds to one serializer (shared
    ones left the detail without them)."""
    return {
        "id": s.CharField(),
        "name": s.CharField(),
        "region": s.ChoiceField(_REGIONS, help_text="The project's region (default asia-pacific)."),
        "status": s.CharField(),
        "role": s.ChoiceField(["OWNER", "FULL", "READONLY"]),
        "createdAt": s.DateTimeField(help_text=_TIMESTAMP),
        "updatedAt": s.DateTimeField(help_text=_TIMESTAMP),
    }


_PUBLIC_READ_ERRORS = _errors(400, 401, 403, 404, 429, 500)
_PUBLIC_WRITE_ERRORS = _errors(400, 401, 403, 404, 415, 429, 500)


def _get(operation_id: str, response, *, tags=("public",)):
    return extend_schema(
        operation_id=operation_id,
        tags=list(tags),
        parameters=_query("userId", "apikey"),
        responses={200: response, **_PUBLIC_READ_ERRORS},
        description="Credentials in the query string (`apiKey` is accepted for `apikey`).",
    )


def _post(operation_id: str, fields: dict, response, *, description: str = ""):
    return extend_schema(
        operation_id=operation_id,
        tags=["public"],
        request=inline_serializer(f"{operation_id}_request", {**_CREDENTIALS, **fields}),
        responses={200: response, **_PUBLIC_WRITE_ERRORS},
        description=description or None,
    )


projects_list = extend_schema(
    operation_id="projects_list",
    tags=["public"],
    parameters=[
        *_query("userId", "apikey"),
        OpenApiParameter(
            "page",
            {"type": "integer", "minimum": 1, "default": 1},
            OpenApiParameter.QUERY,
            required=False,
        ),
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            OpenApiParameter.QUERY,
            required=False,
            description='Above 100: 400 {"message": "Invalid field: limit"}.',
        ),
    ],
    responses={
        200: inline_serializer(
            "ProjectList",
            {
                "projects": inline_serializer("ProjectSummary", _project(), many=True),
                "page": s.IntegerField(),
                "totalPages": s.IntegerField(),
                "totalProjects": s.IntegerField(),
            },
        ),
        **_PUBLIC_READ_ERRORS,
    },
)
projects_status = _get(
    "projects_status",
    inline_serializer(
        "ProjectsStatus",
        {
            "totalProjects": s.IntegerField(),
            "projects": inline_serializer(
                "ProjectStatusItem",
                {
                    "_id": s.CharField(),
                    "name": s.CharField(),
                    "status": s.BooleanField(),
                    "subscriptionStatus": s.CharField(),
                },
                many=True,
            ),
        },
    ),
)
project_detail = _get(
    "project_detail",
    inline_serializer(
        "ProjectDetail",
        {
            **_project(),
            "webhookUrl": s.CharField(allow_null=True),
            "webhookEvents": s.ListField(child=s.CharField()),
            "customDomain": s.CharField(
                allow_null=True, help_text="A hostname such as stream.example.com, or null."
            ),
            "files": inline_serializer(
                "ProjectFile",
                {
                    "_id": s.CharField(),
                    "url": s.CharField(),
                    "status": s.ChoiceField(UPLOAD_STATUSES),
                    "date": s.DateTimeField(help_text=_TIMESTAMP),
                    "objection": s.CharField(
                        allow_null=True, help_text="The reason of a Reject; null otherwise."
                    ),
                },
                many=True,
            ),
            "liveUsers": s.IntegerField(
                allow_null=True,
                help_text="Always null: keyservice runs no streaming sessions to count.",
            ),
            "usersInQueue": s.IntegerField(
                allow_null=True,
                help_text="Always null: keyservice runs no streaming queue to count.",
            ),
            "subscriptionStatus": s.CharField(
                help_text='Always "active": keyservice has no billing (see `status`).'
            ),
        },
    ),
)
upload_file = _post(
    "upload_file",
    {
        "fileUrl": s.URLField(
            max_length=8192,
            help_text="http(s) URL whose path ends in .zip, up to 8192 characters (presigned "
            "URLs fit).",
        ),
        "autoRelease": s.BooleanField(required=False, default=True),
    },
    inline_serializer("UploadQueued", {"message": s.CharField(), "uploadId": s.CharField()}),
    description="Also answers at the legacy singular path `/pixelStripeApi/project/upload-file` "
    "(every public path also answers with a trailing slash). A project an operator disabled: "
    '403 `{"message": "Access denied"}`, not counted against the rate limit.',
)
distribute_file = _post(
    "distribute_file",
    {"uploadId": s.CharField()},
    inline_serializer("DistributionTriggered", {"message": s.CharField()}),
    description="Sends an approved, not yet live build (autoRelease false) through Distribute "
    'to live. A build not approved yet or rejected: 400 `{"message": "File has no URL"}`; a '
    'project an operator disabled: 403 `{"message": "Access denied"}`; a build distributing or '
    "live already: 200, nothing changes. None of these counts against the rate limit.",
)
test_webhook = _post(
    "test_webhook",
    {},
    inline_serializer(
        "WebhookTestResult",
        {
            "success": s.BooleanField(),
            "message": s.CharField(
                help_text='"Test webhook delivered" (2xx), "Webhook endpoint returned non-2xx '
                'status", or why nothing answered (statusCode 0).'
            ),
            "statusCode": s.IntegerField(),
        },
    ),
)
internal_verify = extend_schema(
    operation_id="internal_verify",
    tags=["internal"],
    request=inline_serializer(
        "VerifyRequest",
        {**_CREDENTIALS, "access": s.ChoiceField(["read", "write"], required=False)},
    ),
    responses={
        200: inline_serializer(
            "VerifyResult",
            {
                "valid": s.BooleanField(),
                "userId": s.CharField(),
                "projectId": s.CharField(),
                "role": s.ChoiceField(["OWNER", "FULL", "READONLY"]),
                "access": s.ChoiceField(["read", "write"]),
            },
        ),
        **_errors(400, 401, 403, 404, 415, 429, 500),
    },
    description="Authenticate with `Authorization: Bearer <service token>`; the token needs "
    "scope `verify` (else 403).",
)
internal_revoke_leaked = extend_schema(
    operation_id="internal_revoke_leaked",
    tags=["internal"],
    request=inline_serializer(
        "RevokeLeakedRequest",
        {
            "keys": s.ListField(
                child=s.CharField(),
                min_length=1,
                max_length=1000,
                help_text="Strings found exposed, e.g. every match of `spx_[0-9A-Za-z]{49}`.",
            )
        },
    ),
    responses={
        200: inline_serializer(
            "RevokeLeakedResult",
            {
                "revoked": s.ListField(
                    child=s.CharField(),
                    help_text="The reported strings that were active keys and are now revoked.",
                ),
                "count": s.IntegerField(),
            },
        ),
        **_errors(400, 401, 403, 415, 429, 500),
    },
    description="Authenticate with `Authorization: Bearer <service token>`; the token needs "
    "scope `revoke-leaked` (else 403). Each reported "
    "string that is an active key is revoked and its owner emailed a notice. Unknown, "
    "malformed or already-revoked strings are simply not listed: the answer is the same.",
)
internal_upload_status = extend_schema(
    operation_id="internal_upload_status",
    tags=["internal"],
    parameters=[OpenApiParameter("uploadId", OpenApiTypes.STR, OpenApiParameter.PATH)],
    request=inline_serializer(
        "UploadStatusReport",
        {
            "status": s.ChoiceField(UPLOAD_STATUSES, help_text="The state the upload entered."),
            "objection": s.CharField(
                required=False,
                allow_null=True,
                max_length=2000,
                help_text="Why it was rejected (with `Reject` only).",
            ),
        },
    ),
    responses={
        200: inline_serializer(
            "UploadStatusResult",
            {"uploadId": s.CharField(), "status": s.ChoiceField(UPLOAD_STATUSES)},
        ),
        **_errors(400, 401, 403, 404, 409, 415, 429, 500),
    },
    description="Authenticate with `Authorization: Bearer <service token>`; the token needs "
    "scope `pipeline` (else 403). The build pipeline reports that an upload entered a "
    "lifecycle state; the upload moves on and the project's subscribed webhook event is sent. "
    "Forward only (`Reject` from any state that is not final; `Reject` and a live build are "
    "final); an `autoRelease: false` build stops at `Approved` (not live) until "
    "distribute-file, then goes `Distribute` → `Approved` (live) without a second "
    "`build.approved`. Repeating the current state is a 200 that changes and sends nothing; "
    "an invalid move is 409 naming both states; an unknown uploadId is 404 `File not found`.",
)
