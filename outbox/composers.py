"""What each kind of outbox email says: the apps' composers, registered by kind.

The outbox knows rows, states, dispatch, retries and sweeps, nothing about what an email is
about. A row names its subject by `kind` and `subject_id` only; the app that enqueues a kind
writes its composer (apikeys.emails, teams.emails), and the wiring (keyservice/wiring.py,
EMAILS) registers it for that kind at start-up. The composer loads the subject at send time
(a key is decrypted only there, in the worker), so nothing secret is ever stored on the row or
in the task message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured

from core.delivery import DeliveryOutcome

if TYPE_CHECKING:
    from django.core.mail import EmailMessage

    from outbox.models import OutboxEmail


class ComposeFailed(Exception):
    """The composer cannot build this row's message (e.g. the key cannot be decrypted): the
    row fails at once, without retries, with this exception's text as its last error."""


class Composer(Protocol):
    def skip_reason(self, row: OutboxEmail) -> str | None:
        """Why the email is moot now (its subject is gone or changed), or None to send it."""

    def message(self, row: OutboxEmail) -> EmailMessage:
        """The email to send; raises ComposeFailed when it cannot be composed."""

    def record(self, row: OutboxEmail, outcome: DeliveryOutcome, detail: str = "") -> None:
        """Record how the row left `pending` (SENT, FAILED or SKIPPED: its final state)
        where the app keeps its history (or nowhere)."""

    def subject_label(self, row: OutboxEmail) -> str:
        """What the row is about, for admin: never a secret."""


@dataclass(frozen=True)
class _Entry:
    label: str
    composer: Composer


_REGISTRY: dict[str, _Entry] = {}


def composer_register(*, kind: str, label: str, composer: Composer) -> None:
    """Register the composer of the emails of `kind` (its display name: `label`)."""
    kind = str(kind)
    existing = _REGISTRY.get(kind)
    if existing is not None and type(existing.composer) is not type(composer):
        raise ImproperlyConfigured(f"outbox email kind {kind!r} is registered twice")
    _REGISTRY[kind] = _Entry(label=str(label), composer=composer)


def composer_for(*, kind: str) -> Composer:
    """The composer registered for `kind`; ImproperlyConfigured for an unknown kind."""
    entry = _REGISTRY.get(kind)
    if entry is None:
        raise ImproperlyConfigured(f"no composer is registered for outbox email kind {kind!r}")
    return entry.composer


S = TypeVar("S")
_SUBJECT = "_outbox_subject"  # where a row instance keeps the subject it loaded


def composer_subject(row: OutboxEmail, load: Callable[[int], S | None]) -> S | None:
    """The row's subject, `load(subject_id)` (None when there is none or it was deleted),
    loaded once per row instance: one delivery asks skip_reason, message and record about
    it, and they share one query, as a foreign key's cache would."""
    if _SUBJECT not in row.__dict__:
        row.__dict__[_SUBJECT] = None if row.subject_id is None else load(row.subject_id)
    subject: S | None = row.__dict__[_SUBJECT]
    return subject


def kind_choices() -> list[tuple[str, str]]:
    """The registered kinds with their labels: OutboxEmail.kind's choices (a callable, so the
    outbox names no app's kind and its migrations never change when an app adds one)."""
    return sorted((kind, entry.label) for kind, entry in _REGISTRY.items())
