"""A build's status transitions: which status reports the pipeline may make, and what each
one does.

A pure rule (no database): builds.services applies it under the upload's row lock. The model
(docs/api.md, "Build lifecycle and autoRelease"):

    pending → Downloading Files → Extracting & Scanning → Saving to Repository → …
      autoRelease true:  … → Distribute → Approved            (Approved = live)
      autoRelease false: … → Approved (validated and stored, not live)
                           distribute-file → Distribute → Approved (now live)
    Reject from any state that is not terminal (reason in `objection`).

Terminal: Reject, and a live build. Processing moves forward only (states may be skipped,
never revisited). Every event fires at most once per upload: the second Approved of an
`autoRelease: false` build (after its distribution) makes it live and fires nothing, so a
CI/CD listener that distributes on `build.approved` is called exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from builds.models import Upload
from webhooks.events import webhook_event_for_status

Status = Upload.Status

# The processing states, in order; forward moves among them may skip states.
PROCESSING: tuple[str, ...] = (
    Status.PENDING,
    Status.DOWNLOADING,
    Status.EXTRACTING,
    Status.SAVING,
)


class MoveKind(StrEnum):
    ACCEPT = "accept"
    REPEAT = "repeat"  # the current state again: an idempotent no-op
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Move:
    kind: MoveKind
    event: str | None = None  # the webhook event to fire (ACCEPT only; None: fire nothing)
    approves: bool = False  # the upload enters Approved for the first time
    releases: bool = False  # the upload goes live
    why: str = ""  # for a refusal: what the pipeline has to do first, if anything


@dataclass(frozen=True, slots=True)
class UploadState:
    """What the rule needs to know about an upload."""

    status: str
    auto_release: bool
    approved: bool  # approved_at is set
    released: bool  # released_at is set (live)
    distribution_requested: bool  # distribute-file was called

    @classmethod
    def of(cls, upload: Upload) -> UploadState:
        return cls(
            status=upload.status,
            auto_release=upload.auto_release,
            approved=upload.approved_at is not None,
            released=upload.released_at is not None,
            distribution_requested=upload.distribution_requested_at is not None,
        )


def upload_is_terminal(*, state: UploadState) -> bool:
    return state.status == Status.REJECT or state.released


def upload_move_decide(*, state: UploadState, new: str) -> Move:
    """The outcome of the pipeline reporting status `new` (an Upload.Status value)."""
    current = state.status
    if new == current:
        return Move(MoveKind.REPEAT)
    if upload_is_terminal(state=state):
        return Move(MoveKind.REFUSE, why="the upload's state is final")
    if new == Status.REJECT:
        return Move(MoveKind.ACCEPT, event=webhook_event_for_status(new))
    if new in PROCESSING:
        if current in PROCESSING and PROCESSING.index(new) > PROCESSING.index(current):
            return Move(MoveKind.ACCEPT, event=webhook_event_for_status(new))
        return Move(MoveKind.REFUSE, why="the lifecycle moves forward only")
    if new == Status.DISTRIBUTE:
        return _to_distribute(state)
    return _to_approved(state)


def _to_distribute(state: UploadState) -> Move:
    event = webhook_event_for_status(Status.DISTRIBUTE)
    if state.status in PROCESSING:
        if state.auto_release:
            return Move(MoveKind.ACCEPT, event=event)
        return Move(
            MoveKind.REFUSE,
            why="an autoRelease false build is distributed after Approved and distribute-file",
        )
    if state.status == Status.APPROVED:  # not live (terminal was checked)
        if state.distribution_requested:
            return Move(MoveKind.ACCEPT, event=event)
        return Move(MoveKind.REFUSE, why="distribute-file has not been called for it")
    return Move(MoveKind.REFUSE)


def _to_approved(state: UploadState) -> Move:
    if state.status == Status.DISTRIBUTE:
        # Live now. build.approved only if it was not announced before (autoRelease false).
        event = None if state.approved else webhook_event_for_status(Status.APPROVED)
        return Move(MoveKind.ACCEPT, event=event, approves=not state.approved, releases=True)
    if state.status in PROCESSING:
        if state.auto_release:
            return Move(MoveKind.REFUSE, why="an autoRelease true build goes through Distribute")
        return Move(MoveKind.ACCEPT, event=webhook_event_for_status(Status.APPROVED), approves=True)
    return Move(MoveKind.REFUSE)
