"""The documentation's REST API examples run as written: each `<!-- example: NAME -->` sh
block of README.md and of every docs/**/*.md page is executed with bash and curl against a
live server, with $BASE, $API_KEY, $USER_ID, $PROJECT_ID, $UPLOAD_ID and $SERVICE_TOKEN set to
real values. Its output must be JSON of the shape of the json block documented right after it
(same keys and value types, and the same values for the fields that do not depend on the data:
messages, roles, statuses, counts). Example names are unique across all the files.

The webhook signature snippet of docs/api.md is checked against a real delivery, and every
documented delivery body (`<!-- payload: EVENT -->`) against the fields the code sends.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from apikeys.models import ApiKey
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from builds.models import Upload
from core.outbound import SIGNATURE_HEADER
from lifecycle.events import EVENT_FIELDS, LifecycleEvent
from lifecycle.events import PAYLOAD_KEYS as LIFECYCLE_PAYLOAD_KEYS
from projects.models import Project
from tests.support.builds import upload_ready_to_distribute
from tests.support.services import require
from tests.support.webhooks import webhook_set
from webhooks.events import PAYLOAD_KEYS as WEBHOOK_PAYLOAD_KEYS
from webhooks.events import WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT

# builds.services publishes with send_task, which eager Celery does not run (as intended).
pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
API_DOC = ROOT / "docs" / "api.md"
DOCS = [README, *sorted((ROOT / "docs").glob("**/*.md"))]
# A marker is a line of its own (prose may mention the syntax in a code span).
MARKER = re.compile(r"^<!-- example: ([\w.-]+) -->$", re.MULTILINE)
EXAMPLE = re.compile(
    r"^<!-- example: (?P<name>[\w.-]+) -->\n"
    r"```sh\n(?P<command>.*?)```\n"
    r"```json\n(?P<response>.*?)```",
    re.DOTALL | re.MULTILINE,
)
REQUIRED = {
    "first-call",
    "list-projects",
    "projects-status",
    "project-detail",
    "upload-file",
    "distribute-file",
    "test-webhook",
    "internal-verify",
    "upload-status",
    "revoke-leaked",
    "keys-revoke",
}
PAYLOAD = re.compile(
    r"^<!-- payload: (?P<name>[\w.-]+) -->\n```json\n(?P<body>.*?)```", re.DOTALL | re.MULTILINE
)
# Fields whose documented value does not depend on ids or times: it must be the real one.
LITERAL_FIELDS = {
    "access",
    "message",
    "objection",
    "page",
    "role",
    "status",
    "statusCode",
    "subscriptionStatus",
    "success",
    "totalPages",
    "totalProjects",
    "valid",
    "webhookEvents",
}
HEX24 = re.compile(r"^[0-9a-f]{24}$")


@dataclass(frozen=True)
class Example:
    name: str
    command: str
    response: dict


def read_examples(doc: Path) -> list[Example]:
    text = doc.read_text(encoding="utf-8")
    return [
        Example(m["name"], m["command"], json.loads(m["response"])) for m in EXAMPLE.finditer(text)
    ]


EXAMPLES = [example for doc in DOCS for example in read_examples(doc)]


def test_the_docs_document_every_endpoint_with_a_runnable_example():
    names = [e.name for e in EXAMPLES]
    assert len(EXAMPLES) >= len(REQUIRED), names
    for doc in DOCS:
        # Every marker is followed by an sh block and its json answer.
        markers = MARKER.findall(doc.read_text(encoding="utf-8"))
        assert sorted(markers) == sorted(e.name for e in read_examples(doc)), doc
    # Names are unique across every file, so each runs (and fails) under its own name.
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
    assert not REQUIRED - set(names), f"missing examples: {REQUIRED - set(names)}"
    # The newcomer's page keeps its one first call; the endpoints live in docs/api.md.
    assert [e.name for e in read_examples(README)] == ["first-call"]


# --- comparing an answer with the documented one ------------------------------------------


def shape(value):
    """Keys and JSON types, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def same_shape(documented, actual, where="$") -> None:
    if isinstance(documented, list) and isinstance(actual, list):
        if documented and actual:
            same_shape(documented[0], actual[0], f"{where}[0]")
        return
    if isinstance(documented, dict) and isinstance(actual, dict):
        assert sorted(documented) == sorted(actual), f"{where}: keys differ"
        for key in documented:
            same_shape(documented[key], actual[key], f"{where}.{key}")
        return
    assert shape(documented) == shape(actual), f"{where}: {documented!r} vs {actual!r}"


def same_literals(documented, actual, where="$") -> None:
    if isinstance(documented, dict):
        for key, value in documented.items():
            if key in LITERAL_FIELDS:
                assert actual[key] == value, (
                    f"{where}.{key}: documented {value!r}, got {actual[key]!r}"
                )
            same_literals(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list) and documented and actual:
        same_literals(documented[0], actual[0], f"{where}[0]")


# --- the live run -------------------------------------------------------------------------


DEMO = ROOT / "demo" / "directory.json"


@pytest.fixture
def demo(transactional_db) -> tuple[User, Project]:
    """`make run`'s demo directory, as `make run` loads it: its owner and Showroom, the user
    and project the documented answers are for."""
    call_command("import_directory", str(DEMO), stdout=io.StringIO())
    directory = json.loads(DEMO.read_text())
    owner = User.objects.get(email=directory["users"][0]["email"])
    showroom = Project.objects.get(public_id=directory["projects"][0]["projectId"])
    assert (owner.email, showroom.name) == ("owner@example.com", "Showroom")
    return owner, showroom


@pytest.fixture
def owner(demo) -> User:
    return demo[0]


@pytest.fixture
def showroom(demo) -> Project:
    return demo[1]


@pytest.fixture
def shell_env(live_server, settings, owner, showroom, receiver) -> dict:
    """Real values for the examples' variables; the project's webhook goes to `receiver`."""
    require(shutil.which("curl") is not None, "needs curl")
    settings.KEYSERVICE_ALLOW_HTTP = True  # live_server speaks plain HTTP
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    webhook_set(showroom, url=receiver.url(), events=["build.approved"])
    # Approved, not yet live (autoRelease false): the build distribute-file is documented for.
    upload = upload_ready_to_distribute(
        showroom, user=owner, file_url="https://cdn.example.com/builds/showroom-1.4.0.zip"
    )
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BASE": live_server.url,
        "API_KEY": apikey_issue(user=owner).plaintext,
        "USER_ID": owner.public_id,
        "PROJECT_ID": showroom.public_id,
        "UPLOAD_ID": upload.public_id,
        "SERVICE_TOKEN": service_token_create(
            name="readme", scopes=["verify", "revoke-leaked", "pipeline"]
        ).plaintext,
    }


def run(command: str, env: dict) -> dict:
    result = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, (result.returncode, result.stderr)
    try:
        return json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"not JSON: {result.stdout!r} (stderr {result.stderr!r})")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_documented_example(example, shell_env, owner, showroom, receiver):
    answer = run(example.command, shell_env)
    same_shape(example.response, answer)
    same_literals(example.response, answer)
    # What each example actually did, beyond its answer.
    if example.name == "list-projects":
        documented = [p["id"] for p in example.response["projects"]]
        assert [p["id"] for p in answer["projects"]] == documented
        assert showroom.public_id in documented
    elif example.name == "project-detail":
        assert answer["id"] == showroom.public_id
        assert [f["_id"] for f in answer["files"]] == [shell_env["UPLOAD_ID"]]
    elif example.name == "upload-file":
        assert HEX24.match(answer["uploadId"])
        assert Upload.objects.get(public_id=answer["uploadId"]).project == showroom
    elif example.name == "distribute-file":
        upload = Upload.objects.get(public_id=shell_env["UPLOAD_ID"])
        assert upload.distribution_requested_at is not None
    elif example.name == "test-webhook":
        [request] = receiver.requests
        assert request.headers["x-keyservice-event"] == "webhook.test"
    elif example.name in ("internal-verify", "first-call"):
        assert (answer["userId"], answer["projectId"]) == (owner.public_id, showroom.public_id)
    elif example.name == "upload-status":
        upload = Upload.objects.get(public_id=shell_env["UPLOAD_ID"])
        assert answer["uploadId"] == upload.public_id
        assert upload.status == "Reject"
        assert upload.objection and f'"objection": "{upload.objection}"' in example.command
    elif example.name == "revoke-leaked":
        assert answer["revoked"] == [shell_env["API_KEY"]]
        assert not ApiKey.objects.filter(user=owner, revoked_at__isnull=True).exists()


# --- the signature snippet ----------------------------------------------------------------


def documented_verify_function():
    """The `def verify(...)` python block of docs/api.md's webhook signature section."""
    text = API_DOC.read_text(encoding="utf-8")
    assert "\n### Webhook signatures\n" in text, "docs/api.md has no Webhook signatures section"
    section = text.split("\n### Webhook signatures\n", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert block, "no python block in the webhook signatures section"
    namespace: dict = {}
    exec(compile(block[1], "docs/api.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify"]


def documented_payloads() -> dict[str, dict]:
    found = [
        (m["name"], json.loads(m["body"]))
        for doc in DOCS
        for m in PAYLOAD.finditer(doc.read_text(encoding="utf-8"))
    ]
    names = [name for name, _ in found]
    assert len(set(names)) == len(names), names
    return dict(found)


def test_every_documented_delivery_body_has_the_fields_the_code_sends():
    payloads = documented_payloads()
    assert {"webhook.test", "build.approved", "key.revoked"} <= set(payloads)
    for name, body in payloads.items():
        assert body["event"] == name
        if name in WEBHOOK_EVENTS or name == WEBHOOK_TEST_EVENT:
            assert list(body) == list(WEBHOOK_PAYLOAD_KEYS), name
        else:
            assert list(body) == list(LIFECYCLE_PAYLOAD_KEYS), name
            assert list(body["data"]) == list(EVENT_FIELDS[LifecycleEvent(name)]), name


def test_the_documented_signature_snippet_verifies_a_real_delivery(
    client, owner, showroom, receiver, settings
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    webhook_set(showroom, url=receiver.url())
    body = {
        "apiKey": apikey_issue(user=owner).plaintext,
        "userId": owner.public_id,
        "projectId": showroom.public_id,
    }
    response = client.post(
        "/pixelStripeApi/projects/test-webhook",
        json.dumps(body),
        content_type="application/json",
        secure=True,
    )
    assert response.json()["success"] is True
    [request] = receiver.requests
    header = request.headers[SIGNATURE_HEADER.lower()]
    verify = documented_verify_function()
    secret = Project.objects.get(pk=showroom.pk).webhook.secret
    assert verify(secret, header, request.body)
    assert not verify(secret, header, request.body + b" ")
    assert not verify("another-secret", header, request.body)
    t = header.split(",")[0].partition("=")[2]
    stale = int(t) - 301
    mac = hmac.new(secret.encode(), f"{stale}.".encode() + request.body, hashlib.sha256)
    assert not verify(secret, f"t={stale},v1={mac.hexdigest()}", request.body)
    assert verify(secret, f"t={t},v1={'0' * 64},v1={header.split('v1=')[1]}", request.body)
    # The body is the documented one: same fields in the same order, the same nulls.
    documented = documented_payloads()["webhook.test"]
    delivered = json.loads(request.body)
    assert list(delivered) == list(documented)
    varying = {"projectId", "timestamp"}
    assert {k: v for k, v in delivered.items() if k not in varying} == {
        k: v for k, v in documented.items() if k not in varying
    }
