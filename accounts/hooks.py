"""The points of an account's life where the apps above accounts take part.

accounts (users and sign-in) sits below apikeys and teams and imports neither. Where its
services need them, they call a hook point here:

- ADDRESS_INVITED: may this address sign up whatever the policy?
- USER_HOLDINGS: does this user hold anything?
- ACCESS_END: the user's access ends
- IDENTITY_EVENT: record an identity change
- USER_DEACTIVATED: the account was deactivated or is being deleted

Who answers each point, and in which order, is written in one table, keyservice/wiring.py
(HOOKS), which fills the points at start-up; docs/architecture.md, "The wiring", shows it.

These are explicit calls, not signals: each hook runs in the caller's transaction, at the place
in the caller's order of effects where the caller calls it, in the order of that table.
A hook point that nothing filled raises HookNotRegistered when called. None of them has an
empty answer that is safe to assume: a user holding keys would look inert (and may be deleted),
keys would survive an identity change, an audit event would be lost, an invited address would
be refused, a subscriber would keep answers for an account that is gone.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from accounts.models import User


class IdentityEvent(StrEnum):
    """The identity changes accounts records (their values are apikeys' KeyEvent kinds):
    every change of who can sign in to an account, or how."""

    EMAIL_CHANGED = "email_changed"
    IDENTITY_MERGED = "identity_merged"
    SOCIAL_DETACHED = "social_detached"
    IDENTITY_DISCONNECTED = "identity_disconnected"
    SESSIONS_ENDED = "sessions_ended"
    UNPROVEN_REMOVED = "unproven_removed"
    DEACTIVATED = "user_deactivated"
    REACTIVATED = "user_reactivated"
    PASSWORD_SET = "password_set"  # noqa: S105  (an event kind, not a password)


class AddressInvited(Protocol):
    def __call__(self, *, email: str) -> bool: ...


class UserHoldings(Protocol):
    def __call__(self, *, user: User) -> bool: ...


class AccessEnd(Protocol):
    def __call__(self, *, user: User, actor: User | None, because: str) -> None: ...


class IdentityEventRecord(Protocol):
    def __call__(
        self, *, kind: IdentityEvent, user: User, actor: User | None, detail: str
    ) -> None: ...


class UserDeactivated(Protocol):
    def __call__(self, *, user: User, actor: User | None, deleted: bool) -> None: ...


class HookNotRegistered(ImproperlyConfigured):
    """A hook point was called that no installed app filled."""


H = TypeVar("H")


class HookPoint(Generic[H]):
    """The hooks registered at one point, in registration order. `asked` says when accounts
    calls it (for the wiring page)."""

    def __init__(self, name: str, asked: str = "") -> None:
        self.name = name
        self.asked = asked
        self._hooks: list[H] = []

    def register(self, hook: H) -> None:
        """Add `hook` (once: ready() may run again for a new app registry)."""
        if hook not in self._hooks:
            self._hooks.append(hook)

    @property
    def hooks(self) -> tuple[H, ...]:
        if not self._hooks:
            raise HookNotRegistered(
                f"accounts hook point {self.name} has no hook: keyservice.wiring fills it at "
                "start-up (is the keyservice app installed, last in INSTALLED_APPS?)"
            )
        return tuple(self._hooks)


ADDRESS_INVITED: HookPoint[AddressInvited] = HookPoint(
    "ADDRESS_INVITED",
    "may this address sign up whatever the sign-up policy? (`address_invited`, from "
    "`accounts.adapters.signup_allowed`)",
)
USER_HOLDINGS: HookPoint[UserHoldings] = HookPoint(
    "USER_HOLDINGS",
    "does this user hold anything? (`user_holds_anything`, from "
    "`accounts.services.user_is_inert`: an inert unproven account may be removed)",
)
ACCESS_END: HookPoint[AccessEnd] = HookPoint(
    "ACCESS_END",
    "a previous holder's access ends (`user_access_ended`, the first step of "
    "`accounts.access.user_access_end`: an address change, an identity merge)",
)
IDENTITY_EVENT: HookPoint[IdentityEventRecord] = HookPoint(
    "IDENTITY_EVENT",
    "record an identity change (`identity_event_record`, from `accounts.access` and "
    "`accounts.services`: every change of who can sign in, or how)",
)
USER_DEACTIVATED: HookPoint[UserDeactivated] = HookPoint(
    "USER_DEACTIVATED",
    "the account was deactivated or is about to be deleted (`user_deactivated`, from "
    "`accounts.services.user_active_set` and `user_delete`)",
)


def address_invited(*, email: str) -> bool:
    """Whether any app invited `email` (so it may sign up under any sign-up policy): asks
    ADDRESS_INVITED (who answers: docs/architecture.md, "The wiring")."""
    return any(hook(email=email) for hook in ADDRESS_INVITED.hooks)


def user_holds_anything(*, user: User) -> bool:
    """Whether any app says `user` holds something there (stops at the first yes): asks
    USER_HOLDINGS (who answers: docs/architecture.md, "The wiring")."""
    return any(hook(user=user) for hook in USER_HOLDINGS.hooks)


def user_access_ended(*, user: User, actor: User | None, because: str) -> None:
    """Every app ends what `user` may still do through it, `because` being the reason: calls
    ACCESS_END (who answers: docs/architecture.md, "The wiring"; apikeys revokes the key)."""
    for hook in ACCESS_END.hooks:
        hook(user=user, actor=actor, because=because)


def identity_event_record(
    *, kind: IdentityEvent, user: User, actor: User | None = None, detail: str
) -> None:
    """Record the identity change `kind` of `user` in the audit trail: calls IDENTITY_EVENT
    (who answers: docs/architecture.md, "The wiring"; apikeys writes a KeyEvent)."""
    for hook in IDENTITY_EVENT.hooks:
        hook(kind=kind, user=user, actor=actor, detail=detail)


def user_deactivated(*, user: User, actor: User | None, deleted: bool) -> None:
    """Every app learns that `user` can no longer sign in or use a key (`deleted`: the row is
    about to be deleted, in the caller's transaction): calls USER_DEACTIVATED (who answers:
    docs/architecture.md, "The wiring")."""
    for hook in USER_DEACTIVATED.hooks:
        hook(user=user, actor=actor, deleted=deleted)
