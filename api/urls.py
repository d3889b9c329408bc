from django.urls import URLPattern, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import internal_views, leak_views, public_views
from api.base import ApiView
from api.errors import not_found
from api.lean import Answer, lean
from api.throttles import SchemaGlobal, budgeted
from core.metrics_http import UNMATCHED

# Paths as docs/api.md writes them, each also with a trailing slash (the same answer, no
# redirect), and the documented legacy singular `project/upload-file`. Anything else under
# the prefix answers 404 {"message": "Not found"}: the catch-all matches every path, newlines
# included ([\s\S], not "."), so no path under an API prefix ever reaches Django's HTML 404.
CATCH_ALL = r"^[\s\S]*$"  # named UNMATCHED: its metrics label (core.metrics_http)


def _route(
    route: str,
    view: type[ApiView],
    name: str,
    *,
    lean_answer: Answer | None = None,
    method: str = "GET",
) -> list[URLPattern]:
    """`route` (named, for reverse(), and in the OpenAPI schema) and `route/`, the same
    view (an alias: `schema=None` keeps it out of the schema). With `lean_answer`, a hot
    endpoint: the lean transport in front of the view for its `method` (api.lean)."""

    def callback(**initkwargs):
        if lean_answer is None:
            return view.as_view(**initkwargs)
        return lean(view, lean_answer, method=method, **initkwargs)

    return [path(route, callback(), name=name), path(f"{route}/", callback(schema=None))]


public = [
    *_route("projects", public_views.ProjectList, "api_projects"),
    *_route("projects/projects-status", public_views.ProjectStatus, "api_projects_status"),
    *_route(
        "projects/upload-file",
        public_views.UploadFile,
        "api_upload",
        lean_answer=public_views.upload_file_answer,
        method="POST",
    ),
    *_route("projects/distribute-file", public_views.DistributeFile, "api_distribute"),
    *_route("projects/test-webhook", public_views.TestWebhook, "api_test_webhook"),
    *_route(
        "projects/<str:projectId>",
        public_views.ProjectDetail,
        "api_project_detail",
        lean_answer=public_views.project_detail_answer,
    ),
    # Leak intake: anyone who found a key, and GitHub's secret scanning (signed reports).
    *_route("keys/revoke", leak_views.RevokeReported, "api_keys_revoke"),
    *_route("keys/github-secret-scanning", leak_views.GithubSecretScanning, "api_github_scanning"),
    # The documented legacy singular path: the same endpoint, an alias as well.
    *[
        path(
            route,
            lean(
                public_views.UploadFile,
                public_views.upload_file_answer,
                method="POST",
                schema=None,
            ),
        )
        for route in ("project/upload-file", "project/upload-file/")
    ],
    re_path(CATCH_ALL, not_found, name=UNMATCHED),
]

internal = [
    # The hot path, on the lean transport (api.lean); the DRF view answers unusual requests.
    path(
        "verify",
        lean(internal_views.Verify, internal_views.verify_answer, method="POST"),
        name="internal_verify",
    ),
    path(
        "keys/revoke-leaked",
        internal_views.RevokeLeaked.as_view(),
        name="internal_revoke_leaked",
    ),
    path(
        "uploads/<str:uploadId>/status",
        internal_views.UploadStatus.as_view(),
        name="internal_upload_status",
    ),
    re_path(CATCH_ALL, not_found, name=UNMATCHED),
]

docs = [
    # Generated on every request, for anyone: behind a global budget (api.throttles).
    path("schema/", budgeted(SchemaGlobal)(SpectacularAPIView.as_view()), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
