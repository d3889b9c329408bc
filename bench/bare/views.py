"""The bare projects' views: the same request body and answer shape as /internal/v1/verify."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse


def answer(data: object) -> dict:
    data = data if isinstance(data, dict) else {}
    return {
        "valid": True,
        "userId": data.get("userId"),
        "projectId": data.get("projectId"),
        "role": "OWNER",
        "access": data.get("access", "read"),
    }


def plain(request: HttpRequest) -> JsonResponse:
    """Plain Django: json.loads the body, answer with JsonResponse (no middleware around it)."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"message": "Malformed JSON body"}, status=400)
    return JsonResponse(answer(data))


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
