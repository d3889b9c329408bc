"""Writes of the audit trail: `audit_record`, called explicitly inside each audited write's
transaction (teams, webhooks), and the pruner.

audit sits just above accounts and knows no app above it: teams and webhooks record into it
with plain values (users, addresses, projectIds), so nothing here imports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from accounts.models import User
from audit.models import ActorKind, AuditEvent
from core.batches import queryset_delete_in_batches

# A details key naming any of these is refused: details are shown to owners and exported.
SECRET_WORDS = ("secret", "token", "password", "apikey", "api_key", "key")

JsonValue = str | int | bool | None | list[str]


@dataclass(frozen=True)
class Actor:
    """Who caused an audited change."""

    kind: ActorKind
    user: User | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        """A signed-in user acting on the dashboard (the owner, a member)."""
        return cls(ActorKind.USER, user)

    @classmethod
    def operator(cls, user: User) -> Actor:
        """Staff acting in the admin."""
        return cls(ActorKind.OPERATOR, user)

    @property
    def email(self) -> str:
        return self.user.email if self.user is not None else ""


SYSTEM = Actor(ActorKind.SYSTEM)


class SecretInDetails(ValueError):
    """A details key looks like it names a secret (a programming error, never user input)."""


def _details_check(details: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    for name in details:
        if any(word in name.lower() for word in SECRET_WORDS):
            raise SecretInDetails(f"audit details may not hold {name!r}")
    return dict(details)


def audit_record(
    *,
    kind: AuditEvent.Kind,
    account: User,
    actor: Actor,
    subject: User | None = None,
    subject_email: str = "",
    projects: Iterable[str] = (),
    details: Mapping[str, JsonValue] | None = None,
) -> AuditEvent:
    """Record `kind` in `account`'s trail: who did it (`actor`), whom it is about (`subject`,
    or only an address), the projectIds concerned and small details (never a secret)."""
    return AuditEvent.objects.create(
        kind=kind,
        account=account,
        account_email=account.email,
        actor=actor.user,
        actor_kind=actor.kind,
        actor_email=actor.email,
        subject=subject,
        subject_email=subject.email if subject is not None else subject_email,
        projects=sorted(projects),
        details=_details_check(details or {}),
    )


def auditevent_prune(*, before: datetime, batch_size: int = 1000) -> int:
    """Delete team events created before `before`, in batches."""
    return queryset_delete_in_batches(
        AuditEvent.objects.filter(created_at__lt=before), batch_size=batch_size
    )
