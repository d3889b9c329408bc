"""Property-based fuzzing of both APIs with schemathesis, in-process through Django's WSGI app.

The schema is the one the app serves at /api/schema/. Every generated request goes over
HTTPS (base URL https://localhost, so `wsgi.url_scheme` is https). Most cases carry real
credentials (an owner's or a read-only member's API key, userId and projectId, and a service
token for /internal/v1/verify) so they get past authentication; the rest keep the generated,
invalid ones. For every response:

- no status >= 500;
- every status >= 400 has a JSON body that is exactly {"message": "<string>"};
- the status code and content type are documented, and the body matches the schema.

The run is bounded and reproducible (derandomize, no example database); the number of
generated requests is shown in pytest's terminal summary ("schemathesis fuzz").
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from apikeys.models import Scope
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from projects.models import Project
from teams.models import Membership, Role
from tests.support.builds import upload_ready_to_distribute
from tests.support.webhooks import webhook_set

pytestmark = [
    # Generated userIds end up in throttle cache keys; locmem only warns about odd characters.
    # builds.services publishes with send_task, which eager Celery does not run (as intended).
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

BASE_URL = "https://localhost"
MAX_EXAMPLES = 60  # per operation, for the fuzzing phase (explicit examples come on top)
MIN_REQUESTS_PER_OPERATION = 50
HIGH_RATE = "100000/120s"
# POST endpoints whose JSON body carries apiKey, userId and projectId.
BODY_CREDENTIALS = {
    "/pixelStripeApi/projects/upload-file",
    "/pixelStripeApi/projects/distribute-file",
    "/pixelStripeApi/projects/test-webhook",
    "/internal/v1/verify",
}

# The schema exactly as served (over HTTPS, so no SSL redirect can get in the way).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), base_url=BASE_URL)

REQUESTS: Counter[str] = Counter()
STATUSES: Counter[tuple[str, int]] = Counter()
KINDS: Counter[str] = Counter()


@dataclass(frozen=True)
class World:
    api_key: str
    user_id: str
    project_id: str
    upload_id: str
    service_token: str
    readonly_key: str
    readonly_user_id: str


# --- checks -------------------------------------------------------------------------------


def error_body_is_exactly_message(ctx, response, case) -> bool | None:
    """docs/api.md: every error body is exactly {"message": "<text>"}, no other keys."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(
            f"{response.status_code} body is not JSON: {response.content[:200]!r}"
        ) from None
    assert isinstance(body, dict), f"{response.status_code} body is not an object: {body!r}"
    assert list(body) == ["message"], f"{response.status_code} body has keys {list(body)}"
    assert isinstance(body["message"], str), f"message is not a string: {body!r}"
    return True


CHECKS = [
    not_a_server_error,
    error_body_is_exactly_message,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# --- credentials --------------------------------------------------------------------------


@pytest.fixture
def world(transactional_db, settings) -> World:
    """Committed data the in-process requests see, and every throttle out of the way."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "upload": HIGH_RATE,
            "distribute": HIGH_RATE,
            "auth_failures_client": HIGH_RATE,
            "auth_failures_user": HIGH_RATE,
        },
    }
    # A loopback webhook URL the SSRF guard refuses: test-webhook answers 200 without network.
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = False
    owner = User.objects.create_user("fuzz-owner@example.com", "pw-fuzz-123")
    project = Project.objects.create(owner=owner, name="Fuzzed")
    webhook_set(project, url="http://127.0.0.1:9/")
    reader = User.objects.create_user("fuzz-reader@example.com", "pw-fuzz-123")
    membership = Membership.objects.create(owner=owner, member=reader, role=Role.READONLY)
    membership.projects.set([project])
    # Approved, not live (autoRelease false): distribute-file's success path.
    upload = upload_ready_to_distribute(project, file_url="https://cdn.example.com/a.zip")
    return World(
        api_key=apikey_issue(user=owner).plaintext,
        user_id=owner.public_id,
        project_id=project.public_id,
        upload_id=upload.public_id,
        service_token=service_token_create(name="fuzz", scopes=Scope.values).plaintext,
        readonly_key=apikey_issue(user=reader).plaintext,
        readonly_user_id=reader.public_id,
    )


def _bucket(case) -> int:
    """A stable 0-9 bucket per generated case: the same case always gets the same one."""

    def plain(value):
        return None if isinstance(value, NotSet) else value

    parts = [plain(case.path_parameters), plain(case.query), plain(case.body)]
    raw = json.dumps(parts, sort_keys=True, default=repr, ensure_ascii=True)
    return zlib.crc32(raw.encode()) % 10


def with_credentials(case, world: World) -> str:
    """Put real credentials into most cases; returns which kind, for the statistics.

    Buckets 0-5: the owner's credentials; 6: the read-only member's (403 on writes);
    7: only a real key (generated userId and projectId); 8: all generated but a real service
    token; 9: everything as generated. Other internal endpoints get the service token (not in
    bucket 9); a leaked-key report sometimes names the read-only member's real key.
    """
    bucket = _bucket(case)
    if case.path.startswith("/internal/") and bucket < 9:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {world.service_token}"}
    if case.path.endswith("/status") and bucket % 2 == 0:  # the pipeline's status channel
        case.path_parameters = {**(case.path_parameters or {}), "uploadId": world.upload_id}
        return "service"
    if case.path.endswith("/keys/revoke-leaked") and isinstance(case.body, dict):
        # A scanner's report that sometimes includes a real active key.
        if bucket % 2 == 0 and isinstance(case.body.get("keys"), list):
            case.body = {**case.body, "keys": [*case.body["keys"][:9], world.readonly_key]}
        return "service"
    if bucket >= 8:
        return "generated"
    if bucket == 7:
        kind, values = "key-only", {"key": world.api_key}
    elif bucket == 6:
        kind = "readonly"
        values = {
            "key": world.readonly_key,
            "user": world.readonly_user_id,
            "project": world.project_id,
        }
    else:
        kind = "owner"
        values = {"key": world.api_key, "user": world.user_id, "project": world.project_id}
    if case.method == "GET":
        query = dict(case.query or {})
        query["apikey"] = values["key"]
        if "user" in values:
            query["userId"] = values["user"]
        case.query = query
        if "projectId" in (case.path_parameters or {}) and "project" in values:
            case.path_parameters = {**case.path_parameters, "projectId": values["project"]}
    elif case.path in BODY_CREDENTIALS and isinstance(case.body, dict):
        # (a negative case may have a body that is not an object: it stays as generated)
        body = dict(case.body)
        body["apiKey"] = values["key"]
        if "user" in values:
            body["userId"] = values["user"]
            body["projectId"] = values["project"]
        # Half of these get a valid endpoint field too, so the success paths run often.
        if bucket % 2 == 0 and case.path.endswith("/distribute-file"):
            body["uploadId"] = world.upload_id
        if bucket % 2 == 0 and case.path.endswith("/upload-file"):
            body["fileUrl"] = "https://cdn.example.com/builds/fuzz.zip"
        case.body = body
    return kind


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    """Show the request count in pytest's terminal summary (with or without -s)."""

    class Summary:
        @staticmethod
        def pytest_terminal_summary(terminalreporter):
            if not REQUESTS:
                return
            terminalreporter.section("schemathesis fuzz")
            for label, count in sorted(REQUESTS.items()):
                statuses = {s: n for (op, s), n in sorted(STATUSES.items()) if op == label}
                terminalreporter.write_line(f"{label}: {count} requests, statuses {statuses}")
            terminalreporter.write_line(f"credentials: {dict(sorted(KINDS.items()))}")
            terminalreporter.write_line(f"total generated requests: {sum(REQUESTS.values())}")

    name = "keyservice-fuzz-summary"
    if not request.config.pluginmanager.has_plugin(name):
        request.config.pluginmanager.register(Summary(), name)
    yield


# --- the fuzz run -------------------------------------------------------------------------


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(case, world):
    KINDS[with_credentials(case, world)] += 1
    response = case.call(base_url=BASE_URL)
    REQUESTS[case.operation.label] += 1
    STATUSES[(case.operation.label, response.status_code)] += 1
    case.validate_response(response, checks=CHECKS)


def test_the_fuzz_run_sent_enough_requests():
    """Runs after test_api_fuzz (file order); alone it has nothing to look at."""
    if not REQUESTS:
        pytest.skip("test_api_fuzz did not run in this session")
    operations = {op.label for op in (r.ok() for r in schema.get_all_operations())}
    assert set(REQUESTS) == operations
    for label in operations:
        assert REQUESTS[label] >= MIN_REQUESTS_PER_OPERATION, (label, REQUESTS[label])
    assert KINDS["owner"] > sum(REQUESTS.values()) / 3
    assert KINDS["generated"] > 0


# --- odd strings the fuzzer once turned into 500s: regression cases ----------------------

LONE_SURROGATE = "\ud800"
NUL = "\x00"
ODD_PATHS = [
    ("upload", "/pixelStripeApi/projects/upload-file"),
    ("distribute", "/pixelStripeApi/projects/distribute-file"),
    ("test-webhook", "/pixelStripeApi/projects/test-webhook"),
    ("verify", "/internal/v1/verify"),
]
KNOWN_CASES = [
    pytest.param(path, {field: value}, id=f"{name}-{field}-{label}")
    for name, path in ODD_PATHS
    for field in ("userId", "fileUrl", "uploadId")
    for label, value in (("NUL", f"ab{NUL}cd"), ("surrogate", f"x{LONE_SURROGATE}.zip"))
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "fields"), KNOWN_CASES)
def test_odd_strings_in_fields_are_malformed_bodies(client, owner, showroom, path, fields):
    """NUL and lone surrogates in any JSON field are a 400, never a 500."""
    body = {
        "apiKey": apikey_issue(user=owner).plaintext,
        "userId": owner.public_id,
        "projectId": showroom.public_id,
        **fields,
    }
    token = service_token_create(name="known-bugs", scopes=Scope.values).plaintext
    response = client.post(
        path,
        json.dumps(body),
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"message": "Malformed JSON body"}
