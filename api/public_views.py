"""The public API (/pixelStripeApi), wire-compatible with the hosted platform (docs/api.md)."""

from __future__ import annotations

import math

from django.db import DEFAULT_DB_ALIAS
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api import schema
from api.auth import AnyRequest, ProjectPrincipal, authorize_project, authorize_user
from api.base import (
    CREDENTIALS_MESSAGE,
    PublicApiView,
    authorize_write_body,
    field_error,
    throttle_spend,
)
from api.errors import ApiError
from api.inputs import http_url, positive_int
from api.project_extras import project_extras_get
from api.throttles import DistributeThrottle, UploadThrottle
from apikeys.verifier.credentials import ProjectFacts
from builds.models import MAX_FILE_URL_LENGTH
from builds.selectors import upload_distribution_is_noop, upload_get
from builds.services import (
    upload_create,
    upload_create_check,
    upload_distribute,
    upload_distribute_check,
)
from core.ids import public_id_normalize
from core.timestamps import rest_timestamp
from projects.models import Project
from teams.selectors import Access, project_list_visible
from webhooks.services import webhook_test_send

# `limit` above this is a 400 naming the field (docs/api.md: at most 100), never a silent cap.
MAX_LIMIT = 100
# keyservice has no billing: every project's subscription is in good standing. Whether an
# operator disabled a project is its `status`, a separate field (as on the hosted platform,
# whose docs show "active" beside a disabled project).
SUBSCRIPTION_STATUS = "active"


def _project(project: Project | ProjectFacts, access: Access) -> dict:
    return {
        "id": project.public_id,
        "name": project.name,
        "region": project.region,
        "status": project.status,
        "role": access.value,
        "createdAt": rest_timestamp(project.created_at),
        "updatedAt": rest_timestamp(project.updated_at),
    }


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = positive_int(raw)
    if value is None:
        raise field_error(name)
    return value


class ProjectList(PublicApiView):
    @schema.projects_list
    def get(self, request: Request) -> Response:
        api_key, user_id = self.query_credentials(request)
        principal = authorize_user(request, api_key=api_key, user_id=user_id)
        page = _positive_int(request, "page", 1)
        limit = _positive_int(request, "limit", 20)
        if limit > MAX_LIMIT:
            raise field_error("limit")
        visible = project_list_visible(user=User(pk=principal.user_pk))
        start = (page - 1) * limit
        return Response(
            {
                "projects": [_project(v.project, v.access) for v in visible[start : start + limit]],
                "page": page,
                "totalPages": math.ceil(len(visible) / limit),
                "totalProjects": len(visible),
            }
        )


class ProjectStatus(PublicApiView):
    @schema.projects_status
    def get(self, request: Request) -> Response:
        api_key, user_id = self.query_credentials(request)
        principal = authorize_user(request, api_key=api_key, user_id=user_id)
        visible = project_list_visible(user=User(pk=principal.user_pk))
        return Response(
            {
                "totalProjects": len(visible),
                "projects": [
                    {
                        "_id": v.project.public_id,
                        "name": v.project.name,
                        "status": v.project.status == Project.Status.ACTIVE,
                        "subscriptionStatus": SUBSCRIPTION_STATUS,
                    }
                    for v in visible
                ],
            }
        )


def project_detail_answer(request: AnyRequest, data: object, *, projectId: str) -> dict:
    """GET projects/<projectId>: the DRF view's handler and its lean transport's (api.lean)."""
    api_key, user_id = PublicApiView.query_credentials(request, CREDENTIALS_MESSAGE)
    principal = authorize_project(
        request, api_key=api_key, user_id=user_id, project_id=projectId, need="read"
    )
    # The project's fields came with the credential (the leased cache's entry on a hit).
    project = principal.project
    extras = project_extras_get(project_pk=principal.project_pk)  # cached like the key
    return {
        **_project(project, principal.access),
        "webhookUrl": extras.webhook_url,
        "webhookEvents": list(extras.webhook_events),
        "customDomain": project.custom_domain or None,
        "files": list(extras.files),
        # Counts of the hosted platform's streaming sessions: keyservice runs none,
        # so they are unknown (null), never a made-up number.
        "liveUsers": None,
        "usersInQueue": None,
        "subscriptionStatus": SUBSCRIPTION_STATUS,
    }


class ProjectDetail(PublicApiView):
    """Served through api.lean (api/urls.py): this view answers the unusual requests."""

    @schema.project_detail
    def get(self, request: Request, projectId: str) -> Response:
        return Response(project_detail_answer(request, None, projectId=projectId))


def _file_url(data: dict) -> str:
    if "fileUrl" not in data or data["fileUrl"] in (None, ""):
        raise field_error("fileUrl", missing=True)
    value = data["fileUrl"]
    parts = http_url(value, max_length=MAX_FILE_URL_LENGTH)
    if parts is None or not parts.path.lower().endswith(".zip"):
        raise field_error("fileUrl")
    return value


def upload_file_answer(request: AnyRequest, data: object) -> dict:
    """POST projects/upload-file: the DRF view's handler and its lean transport's (api.lean)."""
    body, principal = authorize_write_body(request, data)
    file_url = _file_url(body)
    auto_release = body.get("autoRelease", True)
    if not isinstance(auto_release, bool):
        raise field_error("autoRelease")
    project, user = _principal_rows(principal)
    upload_create_check(project=project)  # a disabled project: before the rate limit
    throttle_spend(request, UploadThrottle, principal)
    upload = upload_create(project=project, user=user, file_url=file_url, auto_release=auto_release)
    return {"message": "Build queued for processing", "uploadId": upload.public_id}


def _principal_rows(principal: ProjectPrincipal) -> tuple[Project, User]:
    """The project and the user as model instances built from what the credential's query
    read (no query): the fields it did not read are deferred, loaded if something reads them."""
    project = Project.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "public_id", "status"],
        [principal.project_pk, principal.project.public_id, principal.project.status],
    )
    user = User.from_db(
        DEFAULT_DB_ALIAS, ["id", "public_id"], [principal.user_pk, principal.user_public_id]
    )
    return project, user


class UploadFile(PublicApiView):
    """Served through api.lean (api/urls.py): this view answers the unusual requests."""

    @schema.upload_file
    def post(self, request: Request) -> Response:
        return Response(upload_file_answer(request, self.body(request)))


class DistributeFile(PublicApiView):
    @schema.distribute_file
    def post(self, request: Request) -> Response:
        data, principal = authorize_write_body(request, self.body(request))
        upload_id = data.get("uploadId")
        if upload_id in (None, ""):
            raise field_error("uploadId", missing=True)
        if not isinstance(upload_id, str):
            raise field_error("uploadId")
        upload = upload_get(
            upload_public_id=public_id_normalize(upload_id), project_id=principal.project_pk
        )
        if upload is None:
            raise ApiError(404, "File not found in project")
        # Refusals (not ready, the project disabled) and a no-op (distributing or live
        # already) are answered before the rate limit: neither spends the caller's budget.
        upload_distribute_check(upload=upload)
        if not upload_distribution_is_noop(upload=upload):
            throttle_spend(request, DistributeThrottle, principal)
        upload_distribute(upload=upload, user=User.objects.get(pk=principal.user_pk))
        return Response({"message": "Distribution triggered"})


class TestWebhook(PublicApiView):
    @schema.test_webhook
    def post(self, request: Request) -> Response:
        _, principal = authorize_write_body(request, self.body(request))
        # Its refusals (no URL, its budget, too many sending at once) are ApplicationErrors
        # that api.errors maps to the contract's answers.
        result = webhook_test_send(project=Project.objects.get(pk=principal.project_pk))
        return Response(
            {"success": result.success, "message": result.message, "statusCode": result.status_code}
        )
