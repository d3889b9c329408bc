"""The lean transport (api.lean) of verify, of the public project read and of upload-file
answers every request exactly as the DRF view does: the same status, body bytes and headers,
for the usual requests it serves itself and for the unusual ones it hands over; and the usual
ones never build DRF's request."""

from __future__ import annotations

import json

import pytest
from django.urls import resolve
from rest_framework import request as drf_request

from api.internal_views import Verify
from apikeys.crypto import generate_key
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue

pytestmark = pytest.mark.django_db

JSON = "application/json"
PATH = "/internal/v1/verify"


class _Plaintexts(dict):
    """The personas' keys and tokens; a failing test's report names them, never prints them."""

    def __repr__(self) -> str:
        return f"<{len(self)} plaintext keys and tokens>"


@pytest.fixture
def keys(owner, full_member, readonly_member, outsider, showroom):
    return _Plaintexts(
        {
            "owner": apikey_issue(user=owner).plaintext,
            "full": apikey_issue(user=full_member).plaintext,
            "readonly": apikey_issue(user=readonly_member).plaintext,
            "outsider": apikey_issue(user=outsider).plaintext,
            "token": service_token_create(name="lean").plaintext,
            "unscoped": service_token_create(name="pipeline", scopes=["pipeline"]).plaintext,
        }
    )


def _cases(keys, owner, full_member, readonly_member, outsider, showroom) -> dict[str, dict]:
    """name → rf.generic arguments: every kind of request a caller can send."""
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {keys['token']}"}

    def body(key="owner", user=owner, project=showroom.public_id, **more):
        creds = {"apiKey": keys[key], "userId": user.public_id, "projectId": project}
        return json.dumps({**creds, **more})

    def post(data, content_type=JSON, **extra):
        return {"method": "POST", "data": data, "content_type": content_type, **bearer, **extra}

    return {
        "valid read": post(body()),
        "valid write": post(body(access="write")),
        "member FULL write": post(body("full", user=full_member, access="write")),
        "member READONLY read": post(body("readonly", user=readonly_member)),
        "member READONLY write": post(body("readonly", user=readonly_member, access="write")),
        "outsider": post(body("outsider", user=outsider)),
        "another user's id": post(body("outsider", user=owner)),
        "unknown project": post(body(project="0" * 24)),
        "project id in capitals": post(body(project=showroom.public_id.upper())),
        "a malformed key": post(body().replace(keys["owner"][-6:], "AAAAAA")),
        "an unknown well-formed key": post(body().replace(keys["owner"], generate_key())),
        "a key that is not a string": post(
            json.dumps({"apiKey": 7, "userId": "u", "projectId": "p"})
        ),
        "a missing field": post(json.dumps({"apiKey": keys["owner"], "userId": owner.public_id})),
        "access not read or write": post(body(access="admin")),
        "access null": post(body(access=None)),
        "no token": {**post(body()), "HTTP_AUTHORIZATION": ""},
        "a wrong token": {**post(body()), "HTTP_AUTHORIZATION": "Bearer " + "x" * 40},
        "a token without the verify scope": {
            **post(body()),
            "HTTP_AUTHORIZATION": f"Bearer {keys['unscoped']}",
        },
        "basic, not bearer": {**post(body()), "HTTP_AUTHORIZATION": f"Basic {keys['token']}"},
        "charset utf-8": post(body(), content_type="application/json; charset=utf-8"),
        "charset UTF-8 in capitals": post(body(), content_type="application/json; charset=UTF-8"),
        "charset latin-1": post(body(), content_type="application/json; charset=latin-1"),
        "text/plain": post(body(), content_type="text/plain"),
        "form encoded": post("apiKey=x", content_type="application/x-www-form-urlencoded"),
        "no content type": post(body(), content_type=""),
        "malformed JSON": post("{"),
        "empty body": post(""),
        "a JSON list": post("[1, 2]"),
        "a JSON string": post('"x"'),
        "NaN": post('{"apiKey": NaN}'),
        "a UTF-8 BOM": post("\ufeff" + body()),
        "invalid UTF-8": post(b'{"apiKey": "\xff"}'),
        "NUL in a value": post(body(access="read\x00")),
        "NUL in a key": post(json.dumps({"a\x00": "b"})),
        "a lone surrogate": post('{"apiKey": "\\ud800", "userId": "u", "projectId": "p"}'),
        "nested too deeply": post("[" * 40 + "]" * 40),
        "nested object value": post(json.dumps({"apiKey": {"a": [1, {"b": "c"}]}})),
        "duplicate fields": post(body()[:-1] + ', "access": "write", "access": "read"}'),
        "oversized": post(json.dumps({"pad": "x" * 70000})),
        "Accept json": post(body(), HTTP_ACCEPT=JSON),
        "Accept anything": post(body(), HTTP_ACCEPT="*/*"),
        "Accept html": post(body(), HTTP_ACCEPT="text/html"),
        "Accept json with a quality": post(body(), HTTP_ACCEPT="application/json; q=0.9"),
        "?format=json": post(body(), QUERY_STRING="format=json"),
        "?format=xml": post(body(), QUERY_STRING="format=xml"),
        "another query string": post(body(), QUERY_STRING="a=b"),
        "GET": {"method": "GET", **bearer},
        "PUT": {**post(body()), "method": "PUT"},
        "OPTIONS": {"method": "OPTIONS"},
        "HEAD": {"method": "HEAD"},
    }


def _send(rf, view, case: dict, path: str = PATH, **url_kwargs):
    case = dict(case)
    method = case.pop("method")
    data = case.pop("data", b"")
    content_type = case.pop("content_type", JSON)
    request = rf.generic(method, path, data, content_type=content_type, **case)
    response = view(request, **url_kwargs)
    if hasattr(response, "render"):
        response.render()
    return response.status_code, response.content, dict(response.items())


def test_every_request_gets_from_the_lean_transport_what_the_drf_view_answers(
    rf, keys, owner, full_member, readonly_member, outsider, showroom
):
    lean_view, drf_view = resolve(PATH).func, Verify.as_view()
    assert lean_view is not drf_view and lean_view.cls is Verify  # the schema sees the view
    statuses = set()
    for name, case in _cases(keys, owner, full_member, readonly_member, outsider, showroom).items():
        expected = _send(rf, drf_view, case)
        assert _send(rf, lean_view, case) == expected, name
        statuses.add(expected[0])
    # the cases reach every row of the answer table, not only the happy path
    assert statuses >= {200, 400, 401, 403, 404, 405, 406, 413, 415}


def test_a_rate_limited_failure_gets_the_same_429_and_retry_after_both_ways(
    rf, keys, owner, showroom, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_failures_client": "1/120s"},
    }
    wrong = {
        "method": "POST",
        "data": json.dumps({"apiKey": "x", "userId": owner.public_id, "projectId": "p"}),
        "HTTP_AUTHORIZATION": "Bearer " + "y" * 40,
    }
    _send(rf, Verify.as_view(), wrong)  # the one failure allowed
    expected = _send(rf, Verify.as_view(), wrong)
    got = _send(rf, resolve(PATH).func, wrong)
    assert expected[0] == 429 and "Retry-After" in expected[2]
    assert got == expected


def test_a_body_past_a_lowered_django_memory_limit_gets_the_same_answer_both_ways(
    rf, keys, owner, showroom, settings
):
    settings.KEYSERVICE_API_MAX_BODY_BYTES = 10_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000  # request.body refuses; DRF reads the stream
    case = {
        "method": "POST",
        "data": json.dumps(
            {
                "apiKey": keys["owner"],
                "userId": owner.public_id,
                "projectId": showroom.public_id,
                "pad": "x" * 5_000,
            }
        ),
        "HTTP_AUTHORIZATION": f"Bearer {keys['token']}",
    }
    assert _send(rf, resolve(PATH).func, case) == _send(rf, Verify.as_view(), case)


def test_an_unexpected_error_is_the_same_json_500_both_ways(rf, keys, owner, showroom, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("api.auth.apikey_verify", broken)
    case = {
        "method": "POST",
        "data": json.dumps(
            {"apiKey": keys["owner"], "userId": owner.public_id, "projectId": showroom.public_id}
        ),
        "HTTP_AUTHORIZATION": f"Bearer {keys['token']}",
    }
    expected = _send(rf, Verify.as_view(), case)
    assert expected[:2] == (500, b'{"message":"Internal server error"}')
    assert _send(rf, resolve(PATH).func, case) == expected


@pytest.fixture
def built(monkeypatch) -> list[int]:
    """One entry per DRF Request built from here on."""
    built: list[int] = []
    original = drf_request.Request.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(drf_request.Request, "__init__", counting)
    return built


def test_a_usual_request_never_builds_drf_request_and_an_unusual_one_does(
    client, keys, owner, showroom, built
):
    body = {"apiKey": keys["owner"], "userId": owner.public_id, "projectId": showroom.public_id}
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {keys['token']}"}
    assert client.post(PATH, body, content_type=JSON, **bearer).status_code == 200
    assert (
        client.post(PATH, {**body, "access": "x"}, content_type=JSON, **bearer).status_code == 400
    )
    assert built == []
    assert client.post(PATH, body, content_type="text/plain", **bearer).status_code == 415
    assert built == [1]


def _detail_cases(keys, owner, full_member, readonly_member, outsider, showroom) -> dict:
    """name → (rf.generic arguments, the projectId in the path)."""
    pid = showroom.public_id

    def get(key="owner", user=owner, project=pid, secure=True, **extra):
        query = f"apikey={keys[key]}&userId={user.public_id}" if key else ""
        return {"method": "GET", "QUERY_STRING": query, "secure": secure, **extra}, project

    return {
        "owner": get(),
        "member FULL": get("full", full_member),
        "member READONLY": get("readonly", readonly_member),
        "outsider": get("outsider", outsider),
        "another user's id": get("outsider", owner),
        "unknown project": get(project="0" * 24),
        "project id in capitals": get(project=pid.upper()),
        "no credentials": get(key=None),
        "apiKey spelled as in bodies": (
            {**get()[0], "QUERY_STRING": f"apiKey={keys['owner']}&userId={owner.public_id}"},
            pid,
        ),
        "plain HTTP": get(secure=False),
        "?format=json": (
            {**get()[0], "QUERY_STRING": get()[0]["QUERY_STRING"] + "&format=json"},
            pid,
        ),
        "?format=xml": (
            {**get()[0], "QUERY_STRING": get()[0]["QUERY_STRING"] + "&format=xml"},
            pid,
        ),
        "Accept html": get(HTTP_ACCEPT="text/html"),
        "a body": ({**get()[0], "data": "{}"}, pid),
        "a Content-Length that is not a number": get(CONTENT_LENGTH="x"),
        "HEAD": ({**get()[0], "method": "HEAD"}, pid),
        "POST": ({**get()[0], "method": "POST", "data": "{}"}, pid),
        "OPTIONS": ({**get()[0], "method": "OPTIONS"}, pid),
    }


def test_every_project_read_gets_from_the_lean_transport_what_the_drf_view_answers(
    rf, keys, owner, full_member, readonly_member, outsider, showroom
):
    from api.public_views import ProjectDetail

    path = f"/pixelStripeApi/projects/{showroom.public_id}"
    drf_views = {"": ProjectDetail.as_view(), "/": ProjectDetail.as_view(schema=None)}
    statuses = set()
    for suffix, drf_view in drf_views.items():
        lean_view = resolve(path + suffix).func
        assert lean_view.cls is ProjectDetail
        cases = _detail_cases(keys, owner, full_member, readonly_member, outsider, showroom)
        for name, (case, project) in cases.items():
            expected = _send(rf, drf_view, case, path + suffix, projectId=project)
            got = _send(rf, lean_view, case, path + suffix, projectId=project)
            assert got == expected, name
            statuses.add(expected[0])
    assert statuses >= {200, 400, 401, 403, 404, 405, 406}


def test_plain_http_is_answered_alike_both_ways_when_the_operator_allows_it(
    rf, keys, owner, showroom, settings
):
    from api.public_views import ProjectDetail

    settings.KEYSERVICE_ALLOW_HTTP = True
    path = f"/pixelStripeApi/projects/{showroom.public_id}"
    case = {"method": "GET", "QUERY_STRING": f"apikey={keys['owner']}&userId={owner.public_id}"}
    expected = _send(rf, ProjectDetail.as_view(), case, path, projectId=showroom.public_id)
    assert expected[0] == 200
    assert _send(rf, resolve(path).func, case, path, projectId=showroom.public_id) == expected


UPLOAD_PATH = "/pixelStripeApi/projects/upload-file"


def _upload_cases(keys, owner, full_member, readonly_member, outsider, showroom) -> dict:
    """name → rf.generic arguments: upload-file requests that write nothing (every check of
    the contract's rows, and the unusual transports)."""

    def body(key="owner", user=owner, project=showroom.public_id, **more):
        creds = {"apiKey": keys[key], "userId": user.public_id, "projectId": project}
        return json.dumps({**creds, "fileUrl": "ftp://cdn.example.com/b.txt", **more})

    def post(data, content_type=JSON, secure=True, **extra):
        return {"method": "POST", "data": data, "content_type": content_type, "secure": secure}

    return {
        "an invalid fileUrl": post(body()),
        "no fileUrl": post(json.dumps({**json.loads(body()), "fileUrl": None})),
        "autoRelease not a boolean": post(
            body(fileUrl="https://cdn.example.com/b.zip", autoRelease="yes")
        ),
        "member READONLY": post(body("readonly", user=readonly_member)),
        "member FULL": post(body("full", user=full_member)),
        "outsider": post(body("outsider", user=outsider)),
        "unknown project": post(body(project="0" * 24)),
        "a malformed key": post(body().replace(keys["owner"][-6:], "AAAAAA")),
        "a missing field": post(json.dumps({"apiKey": keys["owner"]})),
        "plain HTTP": post(body(), secure=False),
        "text/plain": post(body(), content_type="text/plain"),
        "malformed JSON": post("{"),
        "a JSON list": post("[1]"),
        "oversized": post(json.dumps({"pad": "x" * 70000})),
        "GET": {"method": "GET", "secure": True},
        "OPTIONS": {"method": "OPTIONS", "secure": True},
    }


@pytest.mark.parametrize(
    "path", [UPLOAD_PATH, UPLOAD_PATH + "/", "/pixelStripeApi/project/upload-file"]
)
def test_every_upload_check_gets_from_the_lean_transport_what_the_drf_view_answers(
    rf, keys, owner, full_member, readonly_member, outsider, showroom, path
):
    from api.public_views import UploadFile

    lean_view, drf_view = resolve(path).func, UploadFile.as_view()
    assert lean_view.cls is UploadFile
    statuses = set()
    cases = _upload_cases(keys, owner, full_member, readonly_member, outsider, showroom)
    for name, case in cases.items():
        expected = _send(rf, drf_view, case, path)
        assert _send(rf, lean_view, case, path) == expected, name
        statuses.add(expected[0])
    assert statuses >= {400, 401, 403, 404, 405, 413, 415}


def test_a_real_upload_is_answered_alike_both_ways_and_each_records_one_upload(
    rf, keys, owner, showroom, settings
):
    from api.public_views import UploadFile
    from builds.models import Upload

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "upload": "2/120s"},
    }

    case = {
        "method": "POST",
        "secure": True,
        "data": json.dumps(
            {
                "apiKey": keys["owner"],
                "userId": owner.public_id,
                "projectId": showroom.public_id,
                "fileUrl": "https://cdn.example.com/builds/b.zip",
            }
        ),
    }
    answers = [
        _send(rf, view, case, UPLOAD_PATH)
        for view in (UploadFile.as_view(), resolve(UPLOAD_PATH).func)
    ]
    ids = []
    for status, content, _headers in answers:
        body = json.loads(content)
        ids.append(body.pop("uploadId"))
        assert (status, body) == (200, {"message": "Build queued for processing"})
    assert answers[0][2].keys() == answers[1][2].keys()
    uploads = Upload.objects.filter(public_id__in=ids)
    assert len(ids) == 2 and {(u.project_id, u.user_id) for u in uploads} == {
        (showroom.pk, owner.pk)
    }


def test_a_usual_upload_never_builds_drf_request_nor_reads_the_project_or_the_user_again(
    client, keys, owner, showroom, built
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = {
        "apiKey": keys["owner"],
        "userId": owner.public_id,
        "projectId": showroom.public_id,
        "fileUrl": "https://cdn.example.com/builds/b.zip",
    }
    with CaptureQueriesContext(connection) as queries:
        assert client.post(UPLOAD_PATH, body, content_type=JSON, secure=True).status_code == 200
    assert built == []
    # The credential's query read both: the upload's writes name them by id.
    read_again = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
        and ('FROM "projects_project"' in q["sql"] or 'FROM "accounts_user"' in q["sql"])
    ]
    assert read_again == []
