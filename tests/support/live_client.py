"""The subset of Django's test client the contract tests use, over real HTTP to a base URL
(KEYSERVICE_CONTRACT_BASE_URL, tests/contract/conftest.py): the same calls reach the replicas
behind a load balancer instead of this process's WSGI handler."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import requests


class LiveResponse:
    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.content = response.content
        self.headers = response.headers
        self._response = response

    def json(self) -> Any:
        return json.loads(self.content)

    def __getitem__(self, header: str) -> str:
        return self.headers[header]

    def get(self, header: str, default: str | None = None) -> str | None:
        return self.headers.get(header, default)

    def has_header(self, header: str) -> bool:
        return header in self.headers


class LiveClient:
    """`secure` is accepted and ignored: the load balancer is the TLS hop and marks every
    request https (a plain-HTTP request cannot reach the replicas past it)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.raise_request_exception = True  # accepted for compatibility; errors are answers

    @staticmethod
    def _headers(headers: dict | None, extra: dict) -> dict[str, str]:
        out = dict(headers or {})
        for name, value in extra.items():
            if name.startswith("HTTP_"):
                out[name[5:].replace("_", "-").title()] = value
            elif name == "CONTENT_TYPE":
                out["Content-Type"] = value
        return out

    def generic(
        self,
        method: str,
        path: str,
        data: Any = None,
        content_type: str | None = None,
        *,
        secure: bool = False,
        headers: dict | None = None,
        query: dict | None = None,
        **extra: Any,
    ) -> LiveResponse:
        url = self.base_url + path
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query, doseq=True)
        all_headers = self._headers(headers, extra)
        body: bytes | str | None = None
        if isinstance(data, dict) and (content_type or "").startswith("application/json"):
            body = json.dumps(data)
        elif isinstance(data, dict):
            body, content_type = urlencode(data, doseq=True), "application/x-www-form-urlencoded"
        elif data is not None:
            body = data
        if content_type:
            all_headers["Content-Type"] = content_type
        response = self.http.request(
            method, url, data=body, headers=all_headers, allow_redirects=False, timeout=60
        )
        return LiveResponse(response)

    def get(self, path: str, data: dict | None = None, **kw: Any) -> LiveResponse:
        return self.generic("GET", path, query=data, **kw)

    def head(self, path: str, data: dict | None = None, **kw: Any) -> LiveResponse:
        return self.generic("HEAD", path, query=data, **kw)

    def options(self, path: str, data: Any = "", content_type: str = "", **kw: Any) -> LiveResponse:
        return self.generic("OPTIONS", path, data or None, content_type or None, **kw)

    def post(self, path: str, data: Any = None, content_type: str | None = None, **kw: Any):
        return self.generic("POST", path, data, content_type, **kw)

    def put(self, path: str, data: Any = "", content_type: str = "application/octet-stream", **kw):
        return self.generic("PUT", path, data or None, content_type, **kw)

    def patch(
        self, path: str, data: Any = "", content_type: str = "application/octet-stream", **kw
    ):
        return self.generic("PATCH", path, data or None, content_type, **kw)

    def delete(
        self, path: str, data: Any = "", content_type: str = "application/octet-stream", **kw
    ):
        return self.generic("DELETE", path, data or None, content_type, **kw)
