"""The documented flows end to end, on real components: uploads through the public API, the
builds queue on the real Redis broker consumed by `pipeline_simulate`, webhook deliveries by
a real Celery worker to a real local receiver subscribed to every event.

- The CI/CD recipe: upload with `autoRelease: false`, a listener that calls distribute-file
  whenever `build.approved` arrives; the build ends live, each event carries its documented
  status, none repeats, nothing loops (the listener is called once).
- `autoRelease: true`: through Distribute to Approved (live) with no call.
- A rejected build: `build.rejected` with its objection.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import CommandError, call_command

from apikeys.services import apikey_issue
from builds.models import Upload
from tests.support.api import DETAIL, DISTRIBUTE, UPLOAD
from tests.support.webhooks import webhook_set
from webhooks.events import WEBHOOK_EVENTS

ZIP = "https://cdn.example.com/builds/showroom-1.4.0.zip"
DOCUMENTED_STATUS = {
    "build.uploaded": "pending",
    "build.downloading": "Downloading Files",
    "build.extracting": "Extracting & Scanning",
    "build.saving": "Saving to Repository",
    "build.distributing": "Distribute",
    "build.approved": "Approved",
    "build.rejected": "Reject",
}
QUIET_SECONDS = 1.5  # after the last expected event: long enough for a repeat to show up


@pytest.fixture
def pipeline(settings, celery_broker, broker_queue, start_worker, receiver, owner, showroom):
    """The queues of this test, a webhook worker, the receiver subscribed to every event."""
    hooks_queue = f"{broker_queue}-webhooks"
    settings.KEYSERVICE_WEBHOOKS_QUEUE = hooks_queue
    settings.KEYSERVICE_BUILDS_QUEUE = f"{broker_queue}-builds"
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    webhook_set(showroom, url=receiver.url(), events=list(WEBHOOK_EVENTS))
    start_worker(
        celery_broker,
        hooks_queue,
        KEYSERVICE_WEBHOOKS_QUEUE=hooks_queue,
        KEYSERVICE_WEBHOOK_ALLOW_PRIVATE="true",
    )
    key = apikey_issue(user=owner).plaintext
    return {"api_key": key, "user_id": owner.public_id, "project_id": showroom.public_id}


def simulate(*args: str) -> str:
    """One pass of the development pipeline over the messages waiting on the builds queue."""
    out = io.StringIO()
    call_command(
        "pipeline_simulate",
        "--once",
        "--delay=0.05",
        "--i-know-this-is-not-production",
        *args,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def events_of(receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.requests]


def assert_documented(events: list[dict], upload_id: str, *, objection=None) -> None:
    for event in events:
        assert event["uploadId"] == upload_id
        assert event["fileUrl"] == ZIP
        assert event["status"] == DOCUMENTED_STATUS[event["event"]], event
        expected = objection if event["event"] == "build.rejected" else None
        assert event["objection"] == expected, event


def test_the_ci_cd_recipe_autorelease_false_then_distribute_on_build_approved(
    client, pipeline, receiver
):
    response = UPLOAD.call(client, **pipeline, fileUrl=ZIP, autoRelease=False)
    upload_id = response.json()["uploadId"]

    # The recipe's listener: whenever build.approved arrives, call distribute-file.
    distribute_calls = []
    seen = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        simulate()
        for event in events_of(receiver)[seen:]:
            seen += 1
            if event["event"] == "build.approved":
                answer = DISTRIBUTE.call(client, **pipeline, uploadId=event["uploadId"])
                distribute_calls.append(answer.json())
        upload = Upload.objects.get(public_id=upload_id)
        if upload.released_at is not None and len(receiver.requests) >= 6:
            break
        time.sleep(0.1)
    time.sleep(QUIET_SECONDS)
    simulate()  # nothing left to do: no event, no loop

    events = events_of(receiver)
    assert [e["event"] for e in events] == [
        "build.uploaded",
        "build.downloading",
        "build.extracting",
        "build.saving",
        "build.approved",  # validated and stored, not live: the recipe distributes now
        "build.distributing",  # and it goes live, without a second build.approved
    ]
    assert_documented(events, upload_id)
    assert distribute_calls == [{"message": "Distribution triggered"}]
    upload = Upload.objects.get(public_id=upload_id)
    assert (upload.status, upload.auto_release) == ("Approved", False)
    assert upload.released_at is not None and upload.approved_at < upload.released_at
    [file] = DETAIL.call(client, **pipeline).json()["files"]
    assert (file["_id"], file["status"], file["objection"]) == (upload_id, "Approved", None)


def test_an_autorelease_true_upload_goes_through_distribute_to_live(client, pipeline, receiver):
    response = UPLOAD.call(client, **pipeline, fileUrl=ZIP)  # autoRelease defaults to true
    upload_id = response.json()["uploadId"]
    output = simulate()
    assert output.splitlines() == [
        f"{upload_id}: {s}"
        for s in (
            "Downloading Files",
            "Extracting & Scanning",
            "Saving to Repository",
            "Distribute",
            "Approved",
        )
    ]
    assert receiver.wait_for_requests(6, timeout=30)
    time.sleep(QUIET_SECONDS)
    events = events_of(receiver)
    assert [e["event"] for e in events] == [
        "build.uploaded",
        "build.downloading",
        "build.extracting",
        "build.saving",
        "build.distributing",
        "build.approved",  # = live
    ]
    assert_documented(events, upload_id)
    upload = Upload.objects.get(public_id=upload_id)
    assert upload.status == "Approved" and upload.released_at is not None


def test_a_rejected_build_sends_build_rejected_with_its_objection(client, pipeline, receiver):
    response = UPLOAD.call(client, **pipeline, fileUrl=ZIP, autoRelease=False)
    upload_id = response.json()["uploadId"]
    simulate("--reject-if=showroom-1.4.0")
    assert receiver.wait_for_requests(4, timeout=30)
    time.sleep(QUIET_SECONDS)
    events = events_of(receiver)
    assert [e["event"] for e in events] == [
        "build.uploaded",
        "build.downloading",
        "build.extracting",
        "build.rejected",
    ]
    objection = "Simulated rejection: fileUrl contains 'showroom-1.4.0'"
    assert_documented(events, upload_id, objection=objection)
    assert DISTRIBUTE.call(client, **pipeline, uploadId=upload_id).json() == {
        "message": "File has no URL"
    }
    assert len(receiver.requests) == 4


def test_pipeline_simulate_refuses_to_run_outside_development(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development tool"):
        call_command("pipeline_simulate", "--once")
    with pytest.raises(CommandError, match="real broker"):  # eager Celery: no queue to read
        call_command("pipeline_simulate", "--once", "--i-know-this-is-not-production")
