"""The base of every public API view: JSON only, our errors, HTTPS, no DRF auth machinery."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import Principal, ProjectPrincipal, authorize_project, require_strings
from api.errors import ApiError, RateLimited
from api.parsers import StrictJSONParser

CREDENTIALS_MESSAGE = "projectId, userId and apikey are required"
LIST_CREDENTIALS_MESSAGE = "userId and apikey are required"


class JsonNegotiation(DefaultContentNegotiation):
    """The APIs render JSON only. A request that accepts it as it is (no Accept header, `*/*`
    or `application/json`, no `?format=`) gets it without DRF parsing and ranking media
    types on every request (measured in docs/performance.md); any other request goes
    through DRF's negotiation unchanged (406 when JSON is not acceptable)."""

    ACCEPTS_JSON = frozenset({"", "*/*", "application/json"})

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            len(renderers) == 1
            and not format_suffix
            and request.META.get("HTTP_ACCEPT", "") in self.ACCEPTS_JSON
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class ApiView(APIView):
    """Credentials travel in the body or the query string: DRF's authentication, permission
    and throttle hooks stay empty (an Authorization header is never read as a credential)."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonNegotiation
    requires_https = False

    def options(self, request: HttpRequest, *args, **kwargs) -> Response:
        """OPTIONS names the allowed methods (also in DRF's `Allow` header) in the API's
        shape, instead of DRF's metadata document."""
        return Response({"message": f"Allowed methods: {', '.join(self.allowed_methods)}"})

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        length = declared_length(request)
        if length is None:
            raise ApiError(400, "Malformed JSON body")
        if length > settings.KEYSERVICE_API_MAX_BODY_BYTES:
            raise ApiError(413, "Request body too large")


def declared_length(request: HttpRequest | Request) -> int | None:
    """The body's declared Content-Length (0 when absent or empty); None when it is not a
    number (the view's 400, also read by the lean transport, api.lean)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def https_refused(request: HttpRequest | Request) -> bool:
    """The public API refuses plain HTTP (403 "HTTPS required") unless KEYSERVICE_ALLOW_HTTP."""
    return not (request.is_secure() or settings.KEYSERVICE_ALLOW_HTTP)


class PublicApiView(ApiView):
    requires_https = True  # also on the lean transport (api.lean)

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if https_refused(request):
            raise ApiError(403, "HTTPS required")

    @staticmethod
    def body(request: Request) -> dict:
        """Row 1: the parsed JSON body (415/400 raised by the parser); not an object → {}."""
        data = request.data
        return data if isinstance(data, dict) else {}

    @staticmethod
    def query_credentials(
        request: HttpRequest | Request, message: str = LIST_CREDENTIALS_MESSAGE
    ) -> tuple[str, str]:
        """GET: `apikey` (as documented; `apiKey` too) and `userId` from the query string
        (Django's QueryDict, which DRF's `query_params` is, for either kind of request)."""
        params = request.GET
        api_key = params.get("apikey", params.get("apiKey"))
        user_id = params.get("userId")
        strings = require_strings({"apikey": api_key, "userId": user_id}, message)
        return strings["apikey"], strings["userId"]

    @staticmethod
    def body_credentials(data: dict) -> tuple[str, str, str]:
        values = {k: data.get(k) for k in ("apiKey", "userId", "projectId")}
        strings = require_strings(values, CREDENTIALS_MESSAGE)
        return strings["apiKey"], strings["userId"], strings["projectId"]


def authorize_write_body(
    request: HttpRequest | Request, data: object
) -> tuple[dict, ProjectPrincipal]:
    """Rows 2-6 for a POST endpoint that writes to the project in its parsed JSON body `data`
    (not an object: {}): the DRF views' and the lean transport's (api.lean)."""
    body = data if isinstance(data, dict) else {}
    api_key, user_id, project_id = PublicApiView.body_credentials(body)
    principal = authorize_project(
        request, api_key=api_key, user_id=user_id, project_id=project_id, need="write"
    )
    return body, principal


def throttle_spend(
    request: HttpRequest | Request, throttle_class: type, principal: Principal
) -> None:
    """Row 8: the endpoint's rate limit for this principal (`throttle_class(userId)`),
    counted atomically (api.throttles); 429 with Retry-After past it."""
    throttle = throttle_class(principal.user_public_id)
    if not throttle.allow_request(request, None):
        raise RateLimited(throttle.wait())


def field_error(name: str, *, missing: bool = False) -> ApiError:
    prefix = "Missing required field" if missing else "Invalid field"
    return ApiError(400, f"{prefix}: {name}")
