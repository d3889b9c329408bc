"""The framework's ceiling and the peers, served by the same gunicorn as the service.

Every DRF view here is configured like keyservice's `ApiView` (JSON parser and renderer, the
same exception handler from settings) and answers the same body shape as
/internal/v1/verify, so the only difference between them is how the credential is checked.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from knox.auth import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from api.parsers import StrictJSONParser


def _answer(data: object) -> dict:
    data = data if isinstance(data, dict) else {}
    return {
        "valid": True,
        "userId": data.get("userId"),
        "projectId": data.get("projectId"),
        "role": "OWNER",
        "access": data.get("access", "read"),
    }


@csrf_exempt
def plain(request: HttpRequest) -> JsonResponse:
    """Plain Django: json.loads the same body, answer the same shape with JsonResponse."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"message": "Malformed JSON body"}, status=400)
    return JsonResponse(_answer(data))


class _Base(APIView):
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes: list = []

    def post(self, request: Request) -> Response:
        return Response(_answer(request.data))


class DrfOpen(_Base):
    """Unauthenticated DRF: parse the JSON body, render the answer."""

    authentication_classes: list = []
    permission_classes: list = []


class PeerApiKey(_Base):
    """djangorestframework-api-key: `Authorization: Api-Key <key>`, HasAPIKey."""

    authentication_classes: list = []
    permission_classes = [HasAPIKey]


class PeerKnox(_Base):
    """django-rest-knox: `Authorization: Token <token>`, TokenAuthentication."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
