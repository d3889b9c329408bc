"""Every status report from every state, through POST /internal/v1/uploads/{uploadId}/status:
accepted (200, the upload moves, its event is recorded once), idempotent (200, nothing
changes or fires) or refused (409 naming both states, nothing changes or fires).

The expected table is written out here, independently of builds.status_transitions; a walk over the
rule itself checks that no path has a dead end, a loop or an event announced twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import pytest
from django.utils import timezone

from apikeys.service_tokens import service_token_create
from builds.models import Upload
from builds.status_transitions import MoveKind, UploadState, upload_is_terminal, upload_move_decide
from tests.support.api import VALID_ZIP
from tests.support.webhooks import webhook_set
from webhooks.events import WEBHOOK_EVENTS
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

P, D, E, S = "pending", "Downloading Files", "Extracting & Scanning", "Saving to Repository"
X, A, R = "Distribute", "Approved", "Reject"
ALL = [P, D, E, S, X, A, R]
EVENT = {
    P: "build.uploaded",
    D: "build.downloading",
    E: "build.extracting",
    S: "build.saving",
    X: "build.distributing",
    A: "build.approved",
    R: "build.rejected",
}


@dataclass(frozen=True)
class Situation:
    status: str
    auto_release: bool
    approved: bool = False
    released: bool = False
    requested: bool = False  # distribute-file was called
    # target status -> the event it fires ("" for none); every other target but the
    # current status is a 409
    allowed: dict[str, str] = field(default_factory=dict)


def moves(*targets: str, silent: tuple[str, ...] = ()) -> dict[str, str]:
    return {t: ("" if t in silent else EVENT[t]) for t in targets}


SITUATIONS = {
    # autoRelease true: … → Distribute → Approved (live)
    "auto/pending": Situation(P, True, allowed=moves(D, E, S, X, R)),
    "auto/downloading": Situation(D, True, allowed=moves(E, S, X, R)),
    "auto/extracting": Situation(E, True, allowed=moves(S, X, R)),
    "auto/saving": Situation(S, True, allowed=moves(X, R)),
    "auto/distribute": Situation(X, True, allowed=moves(A, R)),
    "auto/live": Situation(A, True, approved=True, released=True),
    "auto/rejected": Situation(R, True),
    # autoRelease false: … → Approved (not live); distribute-file → Distribute → Approved (live)
    "manual/pending": Situation(P, False, allowed=moves(D, E, S, A, R)),
    "manual/downloading": Situation(D, False, allowed=moves(E, S, A, R)),
    "manual/extracting": Situation(E, False, allowed=moves(S, A, R)),
    "manual/saving": Situation(S, False, allowed=moves(A, R)),
    "manual/approved": Situation(A, False, approved=True, allowed=moves(R)),
    "manual/approved+asked": Situation(
        A, False, approved=True, requested=True, allowed=moves(X, R)
    ),
    "manual/distribute": Situation(
        X, False, approved=True, requested=True, allowed=moves(A, R, silent=(A,))
    ),
    "manual/live": Situation(A, False, approved=True, released=True, requested=True),
    "manual/rejected": Situation(R, False),
}
CASES = [(name, target) for name in SITUATIONS for target in ALL]


@pytest.fixture
def pipeline_token() -> str:
    return service_token_create(name="build-pipeline", scopes=["pipeline"]).plaintext


def make(project, situation: Situation) -> Upload:
    now = timezone.now()
    return Upload.objects.create(
        project=project,
        file_url=VALID_ZIP,
        auto_release=situation.auto_release,
        status=situation.status,
        objection="textures missing" if situation.status == R else "",
        approved_at=now if situation.approved else None,
        released_at=now if situation.released else None,
        distribution_requested_at=now if situation.requested else None,
    )


def report(client, token: str, upload_id: str, status: str, objection=None):
    return client.post(
        f"/internal/v1/uploads/{upload_id}/status",
        json.dumps({"status": status, "objection": objection}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def snapshot(upload: Upload) -> tuple:
    upload.refresh_from_db()
    return (upload.status, upload.objection, upload.approved_at, upload.released_at)


@pytest.mark.parametrize(("situation", "target"), CASES, ids=[f"{s}->{t}" for s, t in CASES])
def test_every_report_from_every_state(client, showroom, pipeline_token, situation, target):
    webhook_set(showroom, url="https://hooks.example.com/k", events=list(WEBHOOK_EVENTS))
    spec = SITUATIONS[situation]
    upload = make(showroom, spec)
    before = snapshot(upload)
    objection = "checksum mismatch" if target == R else None

    response = report(client, pipeline_token, upload.public_id, target, objection)

    deliveries = list(WebhookDelivery.objects.values_list("event", "payload"))
    if target == spec.status:  # idempotent
        assert response.status_code == 200, response.content
        assert response.json() == {"uploadId": upload.public_id, "status": target}
        assert snapshot(upload) == before
        assert deliveries == []
    elif target in spec.allowed:
        assert response.status_code == 200, response.content
        assert response.json() == {"uploadId": upload.public_id, "status": target}
        upload.refresh_from_db()
        assert upload.status == target
        assert upload.objection == ("checksum mismatch" if target == R else "")
        assert (upload.approved_at is not None) == (target == A or spec.approved)
        live = target == A and spec.status == X  # Approved after Distribute is live
        assert (upload.released_at is not None) == (live or spec.released)
        event = spec.allowed[target]
        if event:
            [(fired, payload)] = deliveries
            assert fired == event
            assert payload["status"] == target
            assert payload["objection"] == ("checksum mismatch" if target == R else None)
            assert (payload["uploadId"], payload["fileUrl"]) == (upload.public_id, VALID_ZIP)
        else:
            assert deliveries == []  # the second Approved of an autoRelease false build
    else:
        assert response.status_code == 409, response.content
        [message] = response.json().values()
        assert list(response.json()) == ["message"]
        assert f"from {spec.status} to {target}" in message
        assert snapshot(upload) == before
        assert deliveries == []


def test_the_table_covers_every_state():
    assert {s.status for s in SITUATIONS.values()} == set(ALL)
    flags = [
        (s.status, s.auto_release, s.approved, s.released, s.requested) for s in SITUATIONS.values()
    ]
    assert len(set(flags)) == len(flags)


def _apply(state: UploadState, new: str, move) -> UploadState:
    return replace(
        state,
        status=new,
        approved=state.approved or move.approves,
        released=state.released or move.releases,
    )


@pytest.mark.parametrize("auto_release", [True, False])
def test_every_path_from_pending_ends_without_a_dead_end_a_loop_or_a_repeated_event(auto_release):
    """Every sequence of reports (and distribute-file calls) the rule allows, from pending:
    no event is announced twice, no state comes back, and the only states without a way on
    are final (Reject, or live); the live ones announced build.approved exactly once."""
    start = UploadState(
        P, auto_release, approved=False, released=False, distribution_requested=False
    )
    ends: list[tuple[UploadState, list[str]]] = []

    def walk(state: UploadState, seen: list[UploadState], events: list[str]) -> None:
        assert state not in seen, f"loop: {seen + [state]}"
        assert len(events) == len(set(events)), f"repeated event: {events}"
        successors = []
        for new in ALL:
            move = upload_move_decide(state=state, new=new)
            if move.kind is MoveKind.ACCEPT:
                successors.append(
                    (_apply(state, new, move), [*events, *filter(None, [move.event])])
                )
        if state.status == A and not state.released and not state.distribution_requested:
            successors.append(
                (replace(state, distribution_requested=True), events)
            )  # distribute-file
        if not successors:
            assert upload_is_terminal(state=state), f"dead end: {state}"
            ends.append((state, events))
        for nxt, evs in successors:
            walk(nxt, [*seen, state], evs)

    walk(start, [], ["build.uploaded"])
    live = [events for state, events in ends if state.released]
    assert live and all(events.count("build.approved") == 1 for events in live)
    assert all(events[-1] in ("build.approved", "build.distributing") for events in live)
    assert {state.status for state, _ in ends} == {A, R}
