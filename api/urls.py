from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import internal_views, public_views
from api.errors import not_found

# Paths exactly as API.md writes them (no trailing slash); anything else under the prefix
# answers 404 {"message": "Not found"}: the catch-all matches every path, newlines included
# ([\s\S], not "."), so no path under an API prefix ever reaches Django's HTML 404.
CATCH_ALL = r"^[\s\S]*$"
public = [
    path("projects", public_views.ProjectList.as_view(), name="api_projects"),
    path(
        "projects/projects-status", public_views.ProjectStatus.as_view(), name="api_projects_status"
    ),
    path("projects/upload-file", public_views.UploadFile.as_view(), name="api_upload"),
    path("projects/distribute-file", public_views.DistributeFile.as_view(), name="api_distribute"),
    path("projects/test-webhook", public_views.TestWebhook.as_view(), name="api_test_webhook"),
    path(
        "projects/<str:projectId>",
        public_views.ProjectDetail.as_view(),
        name="api_project_detail",
    ),
    re_path(CATCH_ALL, not_found),
]

internal = [
    path("verify", internal_views.Verify.as_view(), name="internal_verify"),
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
    re_path(CATCH_ALL, not_found),
]

docs = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
