"""Helpers for API tests: call any endpoint with credentials the way its clients do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # "{projectId}" is replaced for the project detail
    need: str  # "read" | "write"
    has_project: bool  # False: list endpoints (only userId + apikey)

    def call(self, client: Client, *, api_key, user_id, project_id=None, secure=True, **fields):
        if self.method == "GET":
            query = {k: v for k, v in (("apikey", api_key), ("userId", user_id)) if v is not None}
            path = self.path.replace("{projectId}", str(project_id))
            return client.get(path, {**query, **fields}, secure=secure)
        body = {"apiKey": api_key, "userId": user_id, "projectId": project_id, **fields}
        body = {k: v for k, v in body.items() if v is not None}
        return client.post(
            self.path, json.dumps(body), content_type="application/json", secure=secure
        )


LIST = Endpoint("list", "GET", "/pixelStripeApi/projects", "read", False)
STATUS = Endpoint("status", "GET", "/pixelStripeApi/projects/projects-status", "read", False)
DETAIL = Endpoint("detail", "GET", "/pixelStripeApi/projects/{projectId}", "read", True)
UPLOAD = Endpoint("upload", "POST", "/pixelStripeApi/projects/upload-file", "write", True)
DISTRIBUTE = Endpoint(
    "distribute", "POST", "/pixelStripeApi/projects/distribute-file", "write", True
)
TEST_WEBHOOK = Endpoint(
    "test-webhook", "POST", "/pixelStripeApi/projects/test-webhook", "write", True
)


def internal_verify(client: Client, token: str | None, /, *, extra: dict | None = None, **body):
    """POST /internal/v1/verify as an internal service sends it: `body` as JSON, `token` as
    the bearer service token (None: no Authorization header); `extra` goes to client.post
    (e.g. secure=True, REMOTE_ADDR)."""
    options: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    options.update(extra or {})
    return client.post(
        "/internal/v1/verify", json.dumps(body), content_type="application/json", **options
    )


ENDPOINTS = [LIST, STATUS, DETAIL, UPLOAD, DISTRIBUTE, TEST_WEBHOOK]
PROJECT_ENDPOINTS = [e for e in ENDPOINTS if e.has_project]
VALID_ZIP = "https://builds.example.com/releases/app.zip"
